import ArgumentParser
import FirebreakConfig
import FirebreakCore
import Foundation

/// `firebreak-bench engine`: the deadline queue and state at scale. 100,000 open incidents with ten pending
/// deadlines each (the acknowledgement and nine steps): time to find the next deadline, to handle 10,000
/// deadlines falling due at once, and resident memory per open incident.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Next-deadline time, a batch of 10,000 falling due, and memory per open incident, at 100,000 incidents."
    )

    @Option(help: "Open incidents.")
    var incidents = 100_000

    @Option(help: "Deadlines falling due at once in the batch case.")
    var batch = 10_000

    @Option(help: "The roster file.")
    var roster = "Playbooks/roster.example.yaml"

    func run() throws {
        let text = try String(contentsOfFile: roster, encoding: .utf8)
        guard let r = RosterParser.parse(text, file: roster).0 else { throw ValidationError("cannot read \(roster)") }
        // Nine independent steps due 1h after opening, acknowledgement due 15m after: ten pending deadlines each.
        let steps = (1...9).map { StepPlan(id: "step-\($0)", title: "Step \($0) of the benchmark playbook", owner: "comms-on-call", due: .hours(1)) }
        let playbook = Playbook(id: "bench", title: "Benchmark", description: nil, match: Playbook.Match(fallback: true), severity: .high,
                                acknowledge: .minutes(15), escalation: .standard, raise: [], steps: steps, file: "bench.yaml")
        let context = EngineContext(playbooks: PlaybookSet([playbook]), roster: r)
        let t0 = Timestamp(rfc3339: "2026-11-23T10:00:00Z")!
        let reporter = Actor(id: "kim", access: .reporter)

        let rssBefore = residentBytes()
        var state = EngineState()
        let buildStart = monotonicNanos()
        for i in 0..<incidents {
            // Opened 10 ms apart, so acknowledgement deadlines are spread out too.
            let now = t0.adding(milliseconds: Int64(i) * 10)
            let report = Report(url: "https://x.com/poster\(i % 997)/status/\(1_860_000_000_000_000_000 + i)", category: .other)
            guard case .success = Engine.handle(.report(report, key: nil), by: reporter, state: &state, now: now, context: context) else {
                throw ValidationError("report \(i) refused")
            }
        }
        let buildSeconds = Double(monotonicNanos() - buildStart) / 1e9
        let rssAfter = residentBytes()
        let pending = state.queuedDeadlines
        print("firebreak-bench engine: \(incidents) open incidents, \(pending) pending deadlines (\(state.distinctPlans) shared plan)")
        print("  built in \(format(buildSeconds, 2)) s: \(Int(Double(incidents) / buildSeconds)) reports/s handled and applied")
        print("  resident memory: \(format(Double(rssAfter - rssBefore) / 1e6, 1)) MB for the state, \(Int(Double(rssAfter - rssBefore) / Double(incidents))) bytes per open incident")

        // Next deadline: a peek when the top entry is current.
        var samples: [UInt64] = []
        for _ in 0..<10_001 {
            let a = monotonicNanos()
            _ = state.nextDeadline()
            samples.append(monotonicNanos() - a)
        }
        print("  next deadline: median \(quantile(samples, 0.5)) ns, p99 \(quantile(samples, 0.99)) ns (10,001 calls)")

        // Batches falling due at once: the acknowledgement deadlines of successive groups of `batch` incidents,
        // each pass on the live state (copying a state this size would be what was measured otherwise).
        var batchTimes: [Double] = []
        var fired: [Int] = []
        for pass in 0..<3 {
            let dueAt = t0.adding(milliseconds: 15 * 60_000 + Int64((pass + 1) * batch - 1) * 10)
            let a = monotonicNanos()
            let events = Engine.dueEvents(state: &state, now: dueAt, context: context)
            let b = monotonicNanos()
            batchTimes.append(Double(b - a) / 1e6)
            fired.append(events.filter { $0.type == EventType.ackMissed }.count)
        }
        print("  \(fired.map(String.init).joined(separator: ", ")) deadlines falling due at once: median \(format(median(batchTimes), 1)) ms to take them, decide and apply the events (3 passes)")
    }

    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (Int(fields[1]) ?? 0) * 4096
    }
}
