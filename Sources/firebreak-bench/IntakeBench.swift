import ArgumentParser
import Crypto
import FirebreakConfig
import FirebreakCore
import FirebreakJournal
import Foundation

/// `firebreak-bench intake`: the CPU the desk spends on a report, without the disk, the socket or other threads:
/// the request line parsed, the report decided, applied and encoded as hash-chained journal lines, as the desk
/// does. Opening an incident (a new post) and adding a report to one open already are measured apart. The ingest
/// rows of the proof table move with the disk by more than the changes to this work; this does not.
struct IntakeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "CPU per report on the desk (parse, decide, apply, encode and hash), opening incidents and adding to open ones."
    )

    @Option(help: "Reports per pass (each phase).") var reports = 20_000
    @Option(help: "Passes; the median is printed.") var passes = 5
    @Option(help: "The playbooks directory.") var playbooks = "Playbooks"
    @Option(help: "The roster file.") var roster = "Playbooks/roster.example.yaml"

    func run() throws {
        let loaded = ConfigFiles.load(playbooks: playbooks, roster: roster)
        guard let r = loaded.roster, loaded.diagnostics.isEmpty else {
            throw ValidationError("cannot load \(playbooks) and \(roster): \(loaded.diagnostics.map(\.description).joined(separator: "; "))")
        }
        let context = EngineContext(playbooks: loaded.playbooks, roster: r)
        let lines = (0..<reports).map { k in
            Array(#"{"v":1,"id":\#(k),"op":"report","args":{"report":{"url":"https://x.com/b\#(k % 97)/status/\#(k)","category":"negative-viral"}}}"#.utf8)
        }
        var open: [Double] = [], attach: [Double] = [], baseline: [Double] = []
        var recordsPerOpen = 0.0, recordsPerAttach = 0.0
        for _ in 0..<passes {
            baseline.append(Self.baseline(lines))
            var state = EngineState()
            var chain = Chain()
            let opened = try Self.intake(lines, state: &state, chain: &chain, context: context)
            open.append(opened.seconds)
            recordsPerOpen = Double(opened.records) / Double(reports)
            let added = try Self.intake(lines, state: &state, chain: &chain, context: context)
            attach.append(added.seconds)
            recordsPerAttach = Double(added.records) / Double(reports)
        }
        func row(_ name: String, _ seconds: [Double], _ note: String) {
            let s = median(seconds)
            print(pad(name, 40) + pad(format(s / Double(reports) * 1e6, 2), 10, right: true)
                  + pad(String(Int(Double(reports) / s)), 12, right: true) + "   " + note)
        }
        print("firebreak-bench intake: \(reports) reports a phase, median of \(passes) passes, one thread, no I/O")
        print(pad("case", 40) + pad("µs/report", 10, right: true) + pad("reports/s", 12, right: true))
        let base = median(baseline)
        row("open an incident (new post)", open, "\(format(recordsPerOpen, 1)) records a report; \(format(median(open) / base, 1))x the baseline")
        row("add to an open incident", attach, "\(format(recordsPerAttach, 1)) records a report; \(format(median(attach) / base, 1))x the baseline")
        row("baseline: JSONSerialization, SHA-256", baseline, "Foundation parses the request and writes the report as a line, hashed")
    }

    /// The journal's chain, kept as the desk's journal keeps it: each line names the hash of the one before.
    struct Chain {
        var seq: UInt64 = 0
        var prev = String(repeating: "0", count: 64)
    }

    /// Seconds to take `lines` as the desk does, and the records they made.
    static func intake(_ lines: [[UInt8]], state: inout EngineState, chain: inout Chain, context: EngineContext) throws -> (seconds: Double, records: Int) {
        let actor = Actor(id: "bench", access: .reporter)
        let now = Timestamp(millisecondsSinceEpoch: 1_795_336_200_000)
        var records = 0
        let started = monotonicNanos()
        for line in lines {
            let request = try JSONParser.parse(line)
            guard let json = request["args"]?["report"] else { throw ValidationError("no report in the request") }
            let report = try Report(json: json)
            var undo = EngineUndo()
            let events = try Engine.handle(.report(report, key: nil), by: actor, state: &state, undo: &undo, now: now, context: context).get()
            for e in events {
                chain.seq += 1
                chain.prev = try RecordLine.encode(JournalEntry(e), seq: chain.seq, prev: chain.prev).record.hash
            }
            records += events.count
        }
        return (Double(monotonicNanos() - started) / 1e9, records)
    }

    /// Seconds to parse each request and write its report as one line with the SHA-256 of it, by Foundation's
    /// JSONSerialization (keys sorted): none of Firebreak's code, so the baseline stays put when Firebreak's
    /// JSON reader and writer change.
    static func baseline(_ lines: [[UInt8]]) -> Double {
        var sink = 0
        let started = monotonicNanos()
        for line in lines {
            guard let request = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let args = request["args"] as? [String: Any], let report = args["report"],
                  let out = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]) else { continue }
            sink &+= Int(SHA256.hash(data: out).withUnsafeBytes { $0[0] })
        }
        let seconds = Double(monotonicNanos() - started) / 1e9
        if sink == -1 { print(sink) }
        return seconds
    }
}
