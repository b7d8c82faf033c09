import ArgumentParser
import FirebreakConfig
import FirebreakCore
import FirebreakJournal
import FirebreakUnix
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak-bench deadlines`: how late escalations fire. A journal with N open incidents whose
/// acknowledgement deadlines fall due one after another over a window a little in the future; a firebreakd
/// from the same build replays it and fires them. Lateness is the `incident.ack_missed` record's time minus
/// its `due`. Baseline in the same run: one thread sleeping until each of the same deadlines
/// (clock_nanosleep, absolute), the floor the OS gives. Also: time to READY and resident memory with N open
/// incidents, and idle (empty journal).
struct DeadlineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadlines",
        abstract: "Escalation lateness p50/p99 with N pending deadlines (against a sleeping thread); READY time and RSS with N open incidents and idle."
    )

    @Option(help: "Open incidents (one acknowledgement deadline each in the window).") var incidents = 100_000
    @Option(help: "Seconds over which the deadlines fall due.") var window = 30.0
    @Option(help: "Scratch directory; emptied first.") var dir = ".bench/deadlines"
    @Option(help: "The daemon's snapshot_every (default: the daemon's own).") var snapshotEvery: Int?
    @Flag(help: "Also print each second of the window: how many fired and the worst lateness (where a stall was).") var bySecond = false
    @Flag(help: "Keep the scratch directory (the journal) for a look afterwards.") var keep = false

    func run() throws {
        let exe = BenchDaemon.executable
        let root = FileManager.default.currentDirectoryPath
        try emptyDirectory(dir)
        let rosterPath = root + "/Playbooks/roster.example.yaml"
        guard let roster = RosterParser.parse(try String(contentsOfFile: rosterPath, encoding: .utf8), file: rosterPath).0 else {
            throw ValidationError("cannot read \(rosterPath)")
        }
        let steps = [StepPlan(id: "look", title: "Look at the post", owner: "comms-on-call", due: .hours(6))]
        let playbook = Playbook(id: "bench", title: "Benchmark", description: nil, match: Playbook.Match(fallback: true), severity: .high,
                                acknowledge: .minutes(15), escalation: .standard, raise: [], steps: steps, file: "bench.yaml")
        let context = EngineContext(playbooks: PlaybookSet([playbook]), roster: roster)

        // Idle: the daemon on an empty journal, and the floor, alternated five times; the medians. One start
        // varies by a megabyte or more: the kernel maps the pages around each one touched only where they are
        // already in the page cache, so the figure follows what the machine read before.
        var idleSamples: [Int] = []
        var floorSamples: [Int] = []
        for i in 0..<5 {
            let idle = try BenchDaemon.start(state: dir + "/idle\(i)")
            idleSamples.append(idle.residentBytes)
            idle.stop()
            if let floor = try BenchDaemon.floorResidentBytes() { floorSamples.append(floor) }
        }
        let idleRSS = Int(median(idleSamples.map(Double.init)))
        let floorRSS = floorSamples.isEmpty ? nil : Int(median(floorSamples.map(Double.init)))

        // The journal: incidents opened so that their acknowledgement falls due in [start, start + window].
        let journalDir = dir + "/state/journal"
        try FileManager.default.createDirectory(atPath: journalDir, withIntermediateDirectories: true)
        let journal = try Journal.open(directory: journalDir)
        let lead = 20_000 + Int64(Double(incidents) * 0.15)  // ms for building and replaying before the first falls due
        let first = JournalOptions.systemClock() + TimeSpan(milliseconds: lead)
        var state = EngineState()
        var dues: [Timestamp] = []
        var batch: [JournalEntry] = []
        for i in 0..<incidents {
            let due = first + TimeSpan(milliseconds: Int64(window * 1000 * Double(i) / Double(incidents)))
            dues.append(due)
            let report = Report(url: "https://x.com/p\(i % 997)/status/\(i)", category: .other)
            guard case .success(let events) = Engine.handle(.report(report, key: nil), by: Actor(id: "kim", access: .reporter), state: &state,
                                                         now: due + .minutes(-15), context: context) else { throw ValidationError("report \(i) refused") }
            for e in events { batch.append(JournalEntry(e)) }
            if batch.count >= 4000 { _ = try journal.appendNow(batch); batch.removeAll(keepingCapacity: true) }
        }
        _ = try journal.appendNow(batch)
        try journal.closeNow()
        let built = JournalOptions.systemClock()
        guard built < first else { throw ValidationError("building took past the first deadline; give a smaller --incidents") }

        let started = monotonicNanos()
        let d = try BenchDaemon.start(state: dir + "/state", extra: snapshotEvery.map { ["--snapshot-every", "\($0)"] } ?? [])
        let readySeconds = Double(monotonicNanos() - started) / 1e9
        let loadedRSS = d.residentBytes
        let readyAt = JournalOptions.systemClock()
        // Wait out the window, then a little for the last ones.
        let end = dues.last! + .seconds(3)
        while JournalOptions.systemClock() < end { usleep(100_000) }
        d.stop()

        var lateness: [UInt64] = []
        var seconds: [Int: (count: Int, worst: Int64)] = [:]
        var firedAtStart = 0
        _ = try JournalReader.scan(directory: journalDir) { r in
            guard r.type == EventType.ackMissed, let due = r.data["due"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) else { return }
            if due < readyAt { firedAtStart += 1; return }
            let late = max(0, r.time.millisecondsSinceEpoch - due.millisecondsSinceEpoch)
            lateness.append(UInt64(late) * 1_000_000)
            let second = Int((due.millisecondsSinceEpoch - first.millisecondsSinceEpoch) / 1000)
            let b = seconds[second] ?? (0, 0)
            seconds[second] = (b.count + 1, max(b.worst, late))
        }

        // Baseline: a thread sleeping until each deadline (same times shifted into the future again).
        let shift = JournalOptions.systemClock().millisecondsSinceEpoch + 2000 - first.millisecondsSinceEpoch
        var baseline: [UInt64] = []
        for due in dues where due >= readyAt {
            let target = due.millisecondsSinceEpoch + shift
            var ts = timespec(tv_sec: Int(target / 1000), tv_nsec: Int(target % 1000) * 1_000_000)
            clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nil)
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let late = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) - target * 1_000_000
            baseline.append(UInt64(max(0, late)))
        }

        print("firebreak-bench deadlines: \(incidents) open incidents, acknowledgement deadlines over \(format(window, 0)) s, \(exe)")
        print(pad("", 34) + pad("fired", 10, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true) + pad("max ms", 10, right: true))
        print(pad("firebreakd (journal record − due)", 34) + pad("\(lateness.count)", 10, right: true) + pad(ms(quantile(lateness, 0.5)), 10, right: true)
              + pad(ms(quantile(lateness, 0.99)), 10, right: true) + pad(ms(lateness.max() ?? 0), 10, right: true))
        print(pad("baseline: a thread sleeping", 34) + pad("\(baseline.count)", 10, right: true) + pad(ms(quantile(baseline, 0.5)), 10, right: true)
              + pad(ms(quantile(baseline, 0.99)), 10, right: true) + pad(ms(baseline.max() ?? 0), 10, right: true))
        if bySecond {
            for (second, b) in seconds.sorted(by: { $0.key < $1.key }) { print("  second \(second): \(b.count) fired, worst \(b.worst) ms") }
        }
        if firedAtStart > 0 { print("  (\(firedAtStart) fell due before READY and are not counted)") }
        print("READY after \(format(readySeconds, 2)) s with \(incidents) incidents in the journal")
        let mb = { (bytes: Int) in format(Double(bytes) / 1e6, 1) }
        print("resident memory: idle \(mb(idleRSS)) MB (median of \(idleSamples.count) starts, \(mb(idleSamples.min()!))–\(mb(idleSamples.max()!))); with \(incidents) open incidents \(format(Double(loadedRSS) / 1e6, 1)) MB")
        if let floorRSS {
            print("baseline: firebreak-floor, its libraries loaded and nothing of Firebreak: \(mb(floorRSS)) MB "
                  + "(median of \(floorSamples.count), \(mb(floorSamples.min()!))–\(mb(floorSamples.max()!))) (Firebreak's own at idle: \(format(Double(idleRSS - floorRSS) / 1e6, 1)) MB)")
        } else {
            print("baseline: firebreak-floor is not beside firebreakd; build it to compare")
        }
        if !keep { try? FileManager.default.removeItem(atPath: dir) }
    }
}
