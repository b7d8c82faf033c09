import FirebreakCore
import FirebreakReview
import Foundation
import Testing
@testable import FirebreakTestSupport

/// Every post-mortem of the golden engine journal (FirebreakJournalTests/Golden/engine-v1.jsonl: every record
/// type the engine writes), as JSON, Markdown and HTML, for a manager and for a responder, byte for byte against
/// Golden/postmortems-v1.txt, made by this test with FIREBREAK_WRITE_GOLDEN=1 before the post-mortem read typed
/// events instead of their JSON. A changed word, key or order anywhere in a review shows here.
@Suite struct GoldenPostmortemTests {
    static let journal = TestPaths.repoRoot + "/Tests/FirebreakJournalTests/Golden/engine-v1.jsonl"
    static let golden = TestPaths.repoRoot + "/Tests/FirebreakReviewTests/Golden/postmortems-v1.txt"

    @Test func everyPostmortemOfTheGoldenJournalIsAsBefore() throws {
        let text = try String(contentsOfFile: Self.journal, encoding: .utf8)
        var state = EngineState()
        var records: [ReviewRecord] = []
        for line in text.split(separator: "\n") {
            let o = try JSONParser.parse(String(line))
            let time = try #require(o["time"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
            let event = Event(time: time, type: o["type"]?.stringValue ?? "", actor: o["actor"]?.stringValue ?? "", data: o["data"] ?? .null)
            state.apply(event)
            records.append(ReviewRecord(seq: UInt64(o["seq"]?.intValue ?? 0), hash: o["hash"]?.stringValue ?? "", event: event))
        }
        let now = try #require(records.last?.event.time) + .hours(1)
        let viewers = [Actor(id: "dana", access: .manager), Actor(id: "amira", access: .responder)]
        var out = ""
        for id in state.incidents.keys.sorted(by: { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }) {
            let inc = try #require(state.incidents[id])
            let mine = records.filter { $0.event.incident == id }
            let checkpoint = records.last.map { ReviewRecord(seq: $0.seq + 1, hash: "c", event: Event(time: now, type: "journal.checkpoint", actor: "firebreakd",
                                                                                                  data: ["covers_seq": .int(Int64($0.seq)), "key_id": "k1"])) }
            for viewer in viewers {
                let p = Postmortem.build(incident: inc, records: mine, checkpoint: checkpoint, viewer: viewer, now: now)
                out += "=== \(id) for \(viewer.id) (json)\n\(p.jsonText)\n=== markdown\n\(PostmortemText.markdown(p))\n=== html\n\(PostmortemText.html(p))\n"
            }
        }
        #expect(state.incidents.count > 5 && out.contains("\"escalations\":[{"), "the journal holds incidents with escalations")
        if ProcessInfo.processInfo.environment["FIREBREAK_WRITE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: (Self.golden as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try out.write(toFile: Self.golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: Self.golden, encoding: .utf8)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false), want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(lines, want).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(first == nil, "line \((first?.offset ?? 0) + 1) differs:\n\(first.map { String($0.element.0) } ?? "")\nwas\n\(first.map { String($0.element.1) } ?? "")")
        #expect(out == expected)
    }
}
