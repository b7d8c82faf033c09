import FirebreakCore
import FirebreakFuzzing
import Foundation
import Testing
@testable import FirebreakTestSupport

/// Every input a fuzzer once crashed or hung on (Tests/FirebreakCoreTests/FuzzRegressions/<target>/, where
/// `scripts/fuzz` puts them) and every seed goes through the same entry points again: they must be refused or
/// accepted, never trap.
@Suite struct FuzzRegressionTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let root = here.deletingLastPathComponent().deletingLastPathComponent()

    static func inputs(_ target: String) -> [URL] {
        let dirs = [here.appendingPathComponent("FuzzRegressions/\(target)"), root.appendingPathComponent("Fuzz/seeds/\(target)")]
            + (target == "playbook" ? [root.appendingPathComponent("Playbooks")] : [])
        return dirs.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []).sorted { $0.path < $1.path }
        }
    }

    @Test(arguments: ["report", "playbook", "journal", "line"])
    func everyKeptInputGoesThroughWithoutATrap(_ target: String) throws {
        let files = Self.inputs(target)
        #expect(!files.isEmpty)
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            bytes.withUnsafeBytes { buf in
                switch target {
                case "report": FuzzEntries.report(buf)
                case "playbook": FuzzEntries.playbook(buf)
                case "line": FuzzEntries.line(buf)
                default: FuzzEntries.journal(buf)
                }
            }
        }
    }

    /// The journal fuzzer's find: an opened incident whose times and durations add up past Int64 trapped in
    /// replay. Deadlines now saturate at the end of time.
    @Test func aRecordWithTimesPastTheEndOfTimeReplaysWithADeadlineAtTheEnd() throws {
        let text = try String(contentsOf: Self.here.appendingPathComponent("FuzzRegressions/journal/overflowing-deadline.jsonl"), encoding: .utf8)
        var state = EngineState()
        for line in text.split(separator: "\n") {
            let o = try JSONParser.parse(String(line))
            state.apply(Event(time: Timestamp(rfc3339: o["time"]!.stringValue!)!, type: o["type"]!.stringValue!, actor: "x", data: o["data"]!))
        }
        #expect(state.incidents["INC-1"] != nil)
        #expect(state.incidents["INC-1"]!.steps[0].due == Timestamp(millisecondsSinceEpoch: .max))
        #expect(TimeSpan(parsing: "999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w999999999w") == nil)
    }

    @Test func aPlaybookWithDurationsPastWhatCanBeHeldIsRefusedNamingTheField() throws {
        let text = try String(contentsOf: Self.here.appendingPathComponent("FuzzRegressions/playbook/overflowing-durations.yaml"), encoding: .utf8)
        let (playbook, diagnostics) = PlaybookParser.parse(text, file: "overflowing-durations.yaml")
        #expect(playbook == nil)
        #expect(diagnostics.contains { "\($0)".contains("acknowledge") })
    }
}
