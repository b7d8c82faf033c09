import FirebreakCore
import FirebreakJournal
@testable import FirebreakTestSupport
import Foundation
import Testing

/// The journal lines the engine writes, byte for byte, against a journal written before events were typed
/// (Golden/engine-v1.jsonl, made by this same test on commit 7b11dd3 with FIREBREAK_WRITE_GOLDEN=1). A random
/// but seeded walk of every command, delivery outcome, override and deadline, so every event type the engine
/// makes is in it.
@Suite struct GoldenJournalTests {
    static let golden = TestPaths.repoRoot + "/Tests/FirebreakJournalTests/Golden/engine-v1.jsonl"

    @Test func theEngineWritesTheSameLinesAsBeforeEventsWereTyped() throws {
        var sim = Sim(now: Timestamp(rfc3339: "2026-11-20T08:00:00Z")!)
        var rng = GoldenRNG(seed: 2026)
        for _ in 0..<160 {
            let (command, who) = Self.command(&rng, sim)
            _ = try? sim.run(command, by: who)
            sim.advance(by: TimeSpan(milliseconds: Int64.random(in: 0..<2_400_000, using: &rng)))
        }
        // And, whatever the walk reached, one incident handed over, resolved, closed and reopened.
        let inc = try sim.run(.report(Report(url: "https://www.linkedin.com/posts/golden-epilogue", category: .other), key: "epilogue"), by: "kim")[0].incident!
        let ready = try #require(sim.incident(inc).steps.indices.first { sim.incident(inc).steps[$0].status == .ready })
        let owner = sim.incident(inc).steps[ready].owner
        try sim.run(.assignStep(incident: inc, step: sim.incident(inc).plan.steps[ready].id, to: owner == "ben" ? "eli" : "ben"), by: "dana")
        try sim.run(.resolve(incident: inc, summary: "gone", abandonOpenSteps: true), by: "dana")
        try sim.run(.close(incident: inc, reason: "reviewed"), by: "dana")
        try sim.run(.reopen(incident: inc, reason: "it is back"), by: "dana")
        var out: [UInt8] = []
        var prev = String(repeating: "0", count: 64)
        for (i, e) in sim.log.enumerated() {
            let (line, record) = try RecordLine.encode(JournalEntry(e), seq: UInt64(i + 1), prev: prev)
            prev = record.hash
            out += line
            // Read back, the line gives the event it was written from.
            #expect(record.event == e, "seq \(i + 1) \(e.type)")
        }
        let types = Set(sim.log.map(\.type))
        let engineTypes = [EventType.reportReceived, EventType.incidentOpened, EventType.severityRaised, EventType.incidentAcknowledged,
                           EventType.ackMissed, EventType.incidentResolved, EventType.incidentClosed, EventType.incidentReopened,
                           EventType.note, EventType.stepReady, EventType.stepAcknowledged, EventType.stepDone, EventType.stepSkipped,
                           EventType.stepAssigned, EventType.stepReminded, EventType.stepMissed, EventType.escalation,
                           EventType.notification, EventType.notificationSent, EventType.notificationFailed, EventType.rosterOverride]
        #expect(engineTypes.filter { !types.contains($0) } == [])
        if ProcessInfo.processInfo.environment["FIREBREAK_WRITE_GOLDEN"] == "1" {
            try Data(out).write(to: URL(fileURLWithPath: Self.golden))
        }
        let expected = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.golden)))
        #expect(out.count == expected.count)
        let lines = out.split(separator: UInt8(ascii: "\n")), want = expected.split(separator: UInt8(ascii: "\n"))
        let first = zip(lines, want).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(first == nil, "line \((first?.offset ?? 0) + 1) differs:\n\(first.map { String(decoding: $0.element.0, as: UTF8.self) } ?? "")\nwas\n\(first.map { String(decoding: $0.element.1, as: UTF8.self) } ?? "")")
        #expect(out == expected)
    }

    static let people = ["kim", "amira", "ben", "chloe", "dana", "eli", "farah", "gus", "hana", "ivan", "jo", "mia", "olga", "sam"]
    static let urls = (0..<8).map { "https://x.com/p/status/\($0)" } + ["https://twitter.com/p/status/3?utm_source=a", "https://www.linkedin.com/posts/q3-forecast-7"]

    static func command(_ rng: inout GoldenRNG, _ sim: Sim) -> (Command, String) {
        let ids = sim.state.incidents.keys.sorted()
        let inc = ids.randomElement(using: &rng) ?? "INC-1"
        let steps = sim.state.incidents[inc].map { $0.plan.steps.map(\.id) } ?? []
        let step = steps.randomElement(using: &rng) ?? "x"
        let who = people.randomElement(using: &rng)!
        let pending = sim.state.outbox.keys.sorted()
        switch Int.random(in: 0..<20, using: &rng) {
        case 0:
            let report = Report(url: urls.randomElement(using: &rng)!, category: ReportCategory.allCases.randomElement(using: &rng),
                                author: Bool.random(using: &rng) ? "@someone" : nil,
                                text: ["the Q3 forecast", "customer data", "", "a colleague"].randomElement(using: &rng),
                                note: Bool.random(using: &rng) ? "seen on my feed" : nil,
                                views: Int64.random(in: 0..<2_000_000, using: &rng), shares: Int64.random(in: 0..<5_000, using: &rng))
            return (.report(report, key: "k\(Int.random(in: 0..<400, using: &rng))"), ["kim", "hana", "ivan"].randomElement(using: &rng)!)
        case 3: return (.acknowledge(incident: inc), who)
        case 4: return (.acknowledgeStep(incident: inc, step: step), who)
        case 5, 6: return (.completeStep(incident: inc, step: step, note: Bool.random(using: &rng) ? "done it" : nil), who)
        case 7: return (.skipStep(incident: inc, step: step, reason: "not needed"), who)
        case 8: return (.assignStep(incident: inc, step: step, to: people.randomElement(using: &rng)!), who)
        case 9: return (.resolve(incident: inc, summary: "taken down", abandonOpenSteps: Bool.random(using: &rng)), who)
        case 10: return (.close(incident: inc, reason: Bool.random(using: &rng) ? "reviewed" : nil), who)
        case 11: return (.reopen(incident: inc, reason: "it is back"), who)
        case 12: return (.note(incident: inc, text: "called the platform"), who)
        case 13: return (.escalate(incident: inc, step: Bool.random(using: &rng) ? step : nil, reason: "help"), who)
        case 14, 15, 16:
            guard let n = pending.randomElement(using: &rng) else { return (.acknowledge(incident: inc), who) }
            return (.delivered(notification: n, channel: "email", digest: Bool.random(using: &rng) ? "D-\(n)" : nil), Actor.daemon.id)
        case 17, 18:
            guard let n = pending.randomElement(using: &rng) else { return (.acknowledge(incident: inc), who) }
            let retry: Timestamp? = Bool.random(using: &rng) ? sim.now + .minutes(2) : nil
            return (.deliveryFailed(notification: n, attempt: Int.random(in: 1...4, using: &rng), error: "connection refused", retryAt: retry), Actor.daemon.id)
        default:
            let role = sim.context.roster.roles.keys.sorted().randomElement(using: &rng)!
            return (.overrideRole(role: role, person: people.randomElement(using: &rng)!, until: sim.now + .hours(3),
                                  reason: Bool.random(using: &rng) ? "swap" : nil), "dana")
        }
    }
}

/// SplitMix64: the same numbers on every machine and Swift version, unlike the system generator.
struct GoldenRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
