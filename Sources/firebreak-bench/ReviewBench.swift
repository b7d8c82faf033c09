import ArgumentParser
import Crypto
import FirebreakConfig
import FirebreakCore
import FirebreakJournal
import FirebreakProtocol
import FirebreakReview
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak-bench review`: what review costs as the journal grows. One journal is written in steps (100 k,
/// 1 M, 3 M records by default, as incidents live them); at each size the post-mortem of the oldest incident
/// is read through the incident index and, as the baseline in the same run, by the full scan the review did
/// before (from the incident's opening record to the end), and the two answers compared byte for byte. At the
/// largest size: filtered queries over every incident against the old listing (a sort of all of them), the
/// index's memory, and `journal verify`'s rate beside SHA-256's on the same bytes.
struct ReviewBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Post-mortem of the oldest incident through the index vs a full scan at growing journal sizes; filtered queries; verify MB/s beside SHA-256."
    )

    @Option(help: "Journal sizes in records, ascending, comma-separated.") var records = "100000,1000000,3000000"
    @Option(help: "Reads per measurement through the index (the median is shown).") var runs = 7
    @Option(help: "Scratch directory (on the disk to measure); emptied first.") var dir = ".bench/review"

    func run() throws {
        let sizes = records.split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty, sizes == sizes.sorted() else { throw ValidationError("--records: ascending sizes, like 100000,1000000") }
        let root = FileManager.default.currentDirectoryPath
        try emptyDirectory(dir)
        let journalDir = dir + "/journal"
        let loaded = ConfigFiles.load(playbooks: root + "/Playbooks", roster: root + "/Playbooks/roster.example.yaml")
        guard let roster = loaded.roster else { throw ValidationError("cannot read the playbooks and roster in \(root)") }
        let context = EngineContext(playbooks: loaded.playbooks, roster: roster)
        let days = Int64(sizes.last! / 20 * 30 / 1440 + 1)
        var life = Life(context: context, now: JournalOptions.systemClock() + TimeSpan(milliseconds: -days * 86_400_000))
        var options = JournalOptions()
        options.signer = CheckpointSigner(privateKey: Curve25519.Signing.PrivateKey())
        let manager = Actor(id: "dana", access: .manager)
        print("firebreak-bench review: journal sizes \(sizes.map(String.init).joined(separator: ", ")) records, signed checkpoints every 1000")
        print("records   MB      incidents  index MB  B/record  post-mortem INC-1 via index (median of \(runs))  full scan (baseline)  ratio  same answer")
        var written = 0
        var last: (state: EngineState, index: IncidentIndex, bytes: Int)?
        for size in sizes {
            let journal = try Journal.open(directory: journalDir, options: options)
            try life.write(records: size - written, keepOpen: size == sizes.last ? 1000 : 0, into: journal)
            try journal.closeNow()
            written = size
            // The daemon's replay: the state and the index from one read.
            var index = IncidentIndex()
            var state = EngineState()
            var head: UInt64 = 0
            let scan = try JournalReader.scan(directory: journalDir) { r in
                state.apply(r.event)
                index.add(r)
                head = r.seq
            }
            let heap = index.approximateBytes
            let places = index.places["INC-1"]!
            let checkpoint = index.checkpoint(after: places.last!)
            let inc = state.incidents["INC-1"]!
            let now = Timestamp(millisecondsSinceEpoch: 0) + .days(40000)
            var times: [Double] = []
            var viaIndex = ""
            for _ in 0..<runs {
                let t = monotonicNanos()
                let f = try IncidentRecords.read(journal: journalDir, incident: "INC-1", places: places, checkpoint: checkpoint)
                viaIndex = Postmortem.build(incident: inc, records: f.records, checkpoint: f.checkpoint, viewer: manager, now: now).jsonText
                times.append(Double(monotonicNanos() - t) / 1e6)
            }
            let t = monotonicNanos()
            let s = try IncidentRecords.scan(journal: journalDir, incident: "INC-1", from: index.openedSeq["INC-1"]!, through: head)
            let viaScan = Postmortem.build(incident: inc, records: s.records, checkpoint: s.checkpoint, viewer: manager, now: now).jsonText
            let scanMs = Double(monotonicNanos() - t) / 1e6
            let m = median(times)
            print(pad("\(size)", 10) + pad(format(Double(scan.byteCount) / 1e6, 0), 8) + pad("\(state.incidents.count)", 11)
                  + pad(format(Double(heap) / 1e6, 1), 10) + pad(format(Double(heap) / Double(max(1, index.count)), 1), 10)
                  + pad("\(format(m, 2)) ms (\(places.count) records)", 47) + pad("\(format(scanMs, 0)) ms", 22)
                  + pad("\(format(scanMs / max(m, 0.001), 0))x", 7) + (viaIndex == viaScan ? "yes" : "NO"))
            last = (state, index, scan.byteCount)
        }
        guard let (state, index, bytes) = last else { return }

        // Filtered queries over every incident, as `firebreak incidents` asks them, against the old listing:
        // every visible incident sorted, the first 200 kept.
        let responder = Actor(id: "amira", access: .responder)
        let now = JournalOptions.systemClock()
        let n = state.incidents.count
        let queries: [(String, IncidentFilter)] = [
            ("words in what was written (\"number \(n / 2) that\")", IncidentFilter(text: "number \(n / 2) that", limit: 51)),
            ("status closed, playbook harassment, a date range", IncidentFilter(status: ["closed"], playbook: "harassment",
                                                                             since: life.now + .days(-Int64(days) / 2), until: life.now, limit: 51)),
            ("page 2 of everything (--before the 50th)", IncidentFilter(before: "INC-\(n - 50)", limit: 51)),
        ]
        print("Queries over \(n) incidents (median of 21):")
        func timeIt(_ body: () -> Int) -> (Double, Int) {
            var t: [Double] = []
            var found = 0
            for _ in 0..<21 {
                let s = monotonicNanos()
                found = body()
                t.append(Double(monotonicNanos() - s) / 1e6)
            }
            return (median(t), found)
        }
        let (old, oldCount) = timeIt {
            state.incidents.values.filter { Visibility.maySee($0, actor: responder) }
                .sorted { $0.openedAt > $1.openedAt || ($0.openedAt == $1.openedAt && $0.id > $1.id) }.prefix(200).count
        }
        print("  baseline, the old list (all sorted, first 200): \(format(old, 1)) ms, \(oldCount) shown")
        for (label, filter) in queries {
            let cursor = filter.before.flatMap { state.incidents[$0] }
            let (ms, found) = timeIt {
                IncidentSearch.page(state.incidents.values, index: index, filter: filter, actor: responder, cursor: cursor, now: now).count
            }
            print("  \(label): \(format(ms, 1)) ms, \(found) found")
        }

        // Verify against its baseline, the full reading of every line (what verify did before it read links),
        // and against the bound: SHA-256 of the same bytes, on one core, times the cores.
        let f = monotonicNanos()
        let full = try JournalReader.scan(directory: journalDir)
        let fullSeconds = Double(monotonicNanos() - f) / 1e9
        var verifyTimes: [Double] = []
        var report: VerifyReport?
        for _ in 0..<3 {
            let t = monotonicNanos()
            report = try JournalVerifier.verify(directory: journalDir)
            verifyTimes.append(Double(monotonicNanos() - t) / 1e9)
        }
        let verifySeconds = median(verifyTimes)
        let segment = try FileManager.default.contentsOfDirectory(atPath: journalDir).filter { $0.hasSuffix(".jsonl") }.sorted().first!
        let sample = [UInt8](FileManager.default.contents(atPath: journalDir + "/" + segment)!)
        let h = monotonicNanos()
        _ = SHA256.hash(data: sample)
        let shaRate = Double(sample.count) / (Double(monotonicNanos() - h) / 1e9) / 1e6
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let rate = Double(bytes) / 1e6 / verifySeconds
        let fullRate = Double(full.byteCount) / 1e6 / fullSeconds
        print("journal verify (median of 3): \(format(Double(bytes) / 1e6, 0)) MB in \(format(verifySeconds, 2)) s = \(format(rate, 0)) MB/s"
              + " (intact: \(report?.intact == true), \(report?.recordCount ?? 0) records)")
        print("  baseline, every line parsed whole (the reading before): \(format(fullSeconds, 2)) s = \(format(fullRate, 0)) MB/s; verify \(format(rate / fullRate, 1))x")
        print("  bound, SHA-256 alone: \(format(shaRate, 0)) MB/s on one core, \(cores) cores = \(format(shaRate * Double(cores), 0)) MB/s; verify at \(format(100 * rate / (shaRate * Double(cores)), 0))% of it")
    }


    func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
}
