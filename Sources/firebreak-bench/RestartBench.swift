import ArgumentParser
import FirebreakConfig
import FirebreakCore
import FirebreakJournal
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak-bench restart`: time from start to answering (READY) with a journal of N records, as incidents
/// live them (reported, acknowledged, notified, steps done, noted, resolved, closed; the last thousand left
/// open). Baseline in the same run: the same daemon with snapshots off, replaying the whole journal. Then with
/// the snapshot a clean stop leaves, and with a snapshot `--behind` records old (the most a crash leaves
/// unsnapshotted at the default `snapshot_every`).
struct RestartBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Seconds to READY with an N-record journal: full replay (baseline) against a snapshot at the end and one --behind records old."
    )

    @Option(help: "Records in the journal.") var records = 1_000_000
    @Option(help: "Records written after the snapshot for the last case (the daemon's default snapshot_every).") var behind = 100_000
    @Option(help: "Starts per case (the median is shown).") var runs = 3
    @Option(help: "Scratch directory (on the disk to measure); emptied first.") var dir = ".bench/restart"
    @Flag(help: "Keep the scratch directory (the journal, the snapshot, the daemon's log in state.log).") var keep = false

    func run() throws {
        let root = FileManager.default.currentDirectoryPath
        try? FileManager.default.removeItem(atPath: dir)
        let journalDir = dir + "/state/journal"
        try FileManager.default.createDirectory(atPath: journalDir, withIntermediateDirectories: true)
        let loaded = ConfigFiles.load(playbooks: root + "/Playbooks", roster: root + "/Playbooks/roster.example.yaml")
        guard let roster = loaded.roster else { throw ValidationError("cannot read the playbooks and roster in \(root)") }
        let context = EngineContext(playbooks: loaded.playbooks, roster: roster)

        // About 20 records and 30 minutes of simulated time per incident, ending now.
        let days = Int64(records / 20 * 30 / 1440 + 1)
        var life = Life(context: context, now: JournalOptions.systemClock() + TimeSpan(milliseconds: -days * 86_400_000))
        let built = monotonicNanos()
        let journal = try Journal.open(directory: journalDir)
        try life.write(records: records - behind, keepOpen: 1000, into: journal)
        try journal.closeNow()
        let bytes = try FileManager.default.contentsOfDirectory(atPath: journalDir).reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: journalDir + "/" + $1)[.size] as? Int) ?? 0)
        }
        print("firebreak-bench restart: \(records) records (\(format(Double(bytes) / 1e6, 0)) MB before the last \(behind)), "
              + "built in \(format(Double(monotonicNanos() - built) / 1e9, 1)) s, \(BenchDaemon.executable)")

        func timeToReady(_ extra: [String], before: () throws -> Void = {}) throws -> (Double, Int) {
            var times: [Double] = []
            var rss = 0
            for _ in 0..<runs {
                try before()
                let started = monotonicNanos()
                let d = try BenchDaemon.start(state: dir + "/state", extra: extra)
                times.append(Double(monotonicNanos() - started) / 1e9)
                rss = d.residentBytes
                d.stop()
            }
            return (median(times), rss)
        }
        // Baseline: no snapshot, every record read and checked.
        try? FileManager.default.removeItem(atPath: dir + "/state/snapshot")
        let (full, fullRSS) = try timeToReady(["--snapshot-every", "0"])
        // A clean stop writes the snapshot; every later start resumes from it.
        let first = try BenchDaemon.start(state: dir + "/state")
        first.stop()
        let snapshotBytes = (try? FileManager.default.attributesOfItem(atPath: dir + "/state/snapshot/state.json")[.size] as? Int) ?? 0
        let (atEnd, atEndRSS) = try timeToReady([])
        // Records the snapshot does not cover, as after a crash just before the next one was due. Each start
        // gets that old snapshot back (a clean stop writes a new one at the end).
        let snapshotPath = dir + "/state/snapshot/state.json"
        let oldSnapshot = try Data(contentsOf: URL(fileURLWithPath: snapshotPath))
        let more = try Journal.open(directory: journalDir)
        try life.write(records: behind, keepOpen: 1000, into: more)
        try more.closeNow()
        let (old, oldRSS) = try timeToReady([]) { try oldSnapshot.write(to: URL(fileURLWithPath: snapshotPath)) }
        let total = try JournalReader.scan(directory: journalDir).lastSeq

        print(pad("case (median of \(runs))", 44) + pad("READY s", 10, right: true) + pad("RSS MB", 10, right: true))
        print(pad("baseline: full replay, no snapshot", 44) + pad(format(full, 2), 10, right: true) + pad(format(Double(fullRSS) / 1e6, 1), 10, right: true))
        print(pad("snapshot at the end (\(format(Double(snapshotBytes) / 1e6, 1)) MB)", 44) + pad(format(atEnd, 2), 10, right: true)
              + pad(format(Double(atEndRSS) / 1e6, 1), 10, right: true))
        print(pad("snapshot \(behind) records behind (\(total) in all)", 44) + pad(format(old, 2), 10, right: true)
              + pad(format(Double(oldRSS) / 1e6, 1), 10, right: true))
        print("speed-up with a snapshot at the end: \(format(full / max(atEnd, 0.001), 1))x; \(life.incidents) incidents, \(life.open) open")
        if !keep { try? FileManager.default.removeItem(atPath: dir) }
    }
}

/// Incidents living their lives through the engine, as the daemon would journal them.
struct Life {
    let context: EngineContext
    var now: Timestamp
    var state = EngineState()
    var incidents = 0
    var open = 0
    let reporter = Actor(id: "kim", access: .reporter)
    let manager = Actor(id: "dana", access: .manager)
    static let categories: [ReportCategory] = [.confidentialInformation, .privacyBreach, .harassment, .negativeViral, .impersonation, .other]

    /// Writes incidents until `records` records are written; the last `keepOpen` stay open.
    mutating func write(records: Int, keepOpen: Int, into journal: Journal) throws {
        var batch: [JournalEntry] = []
        var written = 0
        func run(_ command: Command, by actor: Actor, _ life: inout Life) -> Bool {
            guard case .success(let events) = Engine.handle(command, by: actor, state: &life.state, now: life.now, context: life.context) else { return false }
            batch += events.map(JournalEntry.init)
            return true
        }
        while written + batch.count < records {
            let leaveOpen = open < keepOpen && records - (written + batch.count) < keepOpen * 8
            // Closed incidents lived in the past; open ones are opened now, so no deadline of theirs has passed
            // and the daemon's start does no escalating of its own.
            now = leaveOpen ? max(now, JournalOptions.systemClock()) : now + .minutes(3)
            incidents += 1
            let id = EngineState.incidentID(state.incidentCount + 1)
            let report = Report(url: "https://x.com/user\(incidents % 5000)/status/\(incidents)", category: Self.categories[incidents % Self.categories.count],
                                text: "Post number \(incidents) that someone thought should be looked at")
            _ = run(.report(report, key: "bench:\(incidents)"), by: reporter, &self)
            if leaveOpen { open += 1 }
            deliver(&batch)
            if !leaveOpen {
                now = now + .minutes(1)
                _ = run(.acknowledge(incident: id), by: manager, &self)
                for _ in 0..<12 {
                    guard let inc = state.incidents[id], let step = inc.steps.indices.first(where: { inc.steps[$0].isOpen }) else { break }
                    now = now + .minutes(2)
                    _ = run(.completeStep(incident: id, step: inc.plan.steps[step].id, note: "done"), by: manager, &self)
                }
                _ = run(.note(incident: id, text: "Handled; see the steps"), by: manager, &self)
                deliver(&batch)
                _ = run(.resolve(incident: id, summary: "Taken down", abandonOpenSteps: true), by: manager, &self)
                _ = run(.close(incident: id, reason: nil), by: manager, &self)
                deliver(&batch)
            }
            if batch.count >= 4000 {
                written += batch.count
                _ = try journal.appendNow(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        written += batch.count
        _ = try journal.appendNow(batch)
    }

    /// Every notification asked for is delivered at once.
    private mutating func deliver(_ batch: inout [JournalEntry]) {
        for n in state.outbox.values.sorted(by: { $0.id < $1.id }) {
            guard case .success(let events) = Engine.handle(.delivered(notification: n.id, channel: "email", digest: nil), by: manager, state: &state,
                                                             now: now, context: context) else { continue }
            batch += events.map(JournalEntry.init)
        }
    }
}
