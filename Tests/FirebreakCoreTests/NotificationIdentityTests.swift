import FirebreakCore
import Testing
@testable import FirebreakTestSupport

/// Every notification the engine asks for has an id of its own and ends exactly once: delivered, or failed for
/// good with its reason. Random playbooks (deadlines that coincide, zero-minute escalation levels, steps in
/// parallel), random clocks and random delivery outcomes, against a simulated receiver.
@Suite struct NotificationIdentityTests {
    static let roster = """
        people:
          - {id: olga, name: Olga}
          - {id: bert, name: Bert}
          - {id: mia, name: Mia}
          - {id: sam, name: Sam}
        managers: [mia]
        roles:
          - {id: on-call, title: On call, members: [olga], backup: cover, manager: mia}
          - {id: cover, title: Cover, members: [bert], manager: mia}
          - {id: legal, title: Legal, members: [sam], manager: mia}

        """

    /// A playbook whose deadlines are drawn from a few values, so that acknowledgement, steps and escalation
    /// levels often fall due at the same instant.
    static func randomPlaybook(_ rng: inout SplitMix) -> String {
        let minutes = [0, 5, 15, 15, 30]
        func pick() -> Int { minutes.randomElement(using: &rng)! }
        let stepCount = Int.random(in: 1...4, using: &rng)
        var steps = ""
        for i in 0..<stepCount {
            let owner = ["on-call", "cover", "legal"].randomElement(using: &rng)!
            let after = i > 0 && Bool.random(using: &rng) ? "\n    after: [s\(Int.random(in: 0..<i, using: &rng))]" : ""
            steps += "  - id: s\(i)\n    title: Step \(i)\n    owner: \(owner)\n    due: \(max(1, pick()))m\(after)\n"
        }
        let targets = ["owner", "backup", "manager"]
        let afters = (0..<Int.random(in: 1...3, using: &rng)).map { _ in pick() }.sorted()
        let levels = afters.map { after in
            "    - after: \(after)m\n      notify: \(targets.randomElement(using: &rng)!)\n"
        }.joined()
        return """
            id: random
            title: Random
            match:
              fallback: true
            severity: high
            acknowledge: \(max(1, pick()))m
            escalation:
              remind_before: \(Int.random(in: 0...3, using: &rng))m
              levels:
            \(levels)  repeat: 10m
              max_repeats: \(Int.random(in: 0...2, using: &rng))
            steps:
            \(steps)
            """
    }

    @Test(arguments: Array(1...24) as [UInt64])
    func everyRequestedNotificationEndsExactlyOnce(_ seed: UInt64) throws {
        var rng = SplitMix(seed: seed)
        let (parsedRoster, rd) = RosterParser.parse(Self.roster, file: "roster.yaml")
        let text = Self.randomPlaybook(&rng)
        let (playbook, pd) = PlaybookParser.parse(text, file: "random.yaml", roster: parsedRoster)
        #expect((rd + pd).allSatisfy { $0.level != .error }, "\(rd + pd)\n\(text)")
        let context = EngineContext(playbooks: PlaybookSet([try #require(playbook)]), roster: try #require(parsedRoster))
        var sim = Sim(now: ts("2026-11-20T07:00:00Z"), context: context)
        var received: [String: Int] = [:]
        for round in 0..<40 {
            if round % 8 == 0 {
                try sim.run(.report(Report(url: "https://x.com/a/status/\(round)"), key: nil), by: "kim")
            }
            if Int.random(in: 0..<5, using: &rng) == 0, let inc = sim.state.incidents.keys.randomElement(using: &rng),
               let step = sim.incident(inc).plan.steps.randomElement(using: &rng) {
                _ = try? sim.run(.completeStep(incident: inc, step: step.id, note: nil), by: "mia")
            }
            // Clock moves of 0 to 20 minutes, on whole minutes half the time, so deadlines meet.
            let ms = Bool.random(using: &rng) ? Int64.random(in: 0...20, using: &rng) * 60_000 : Int64.random(in: 0..<1_200_000, using: &rng)
            sim.advance(by: TimeSpan(milliseconds: ms))
            try deliver(&sim, &rng, &received, allSucceed: false)
        }
        // Then everything left pending is delivered or given up on.
        for _ in 0..<20 where !sim.state.outbox.isEmpty {
            sim.now = sim.now + .minutes(30)
            try deliver(&sim, &rng, &received, allSucceed: true)
        }
        #expect(sim.state.outbox.isEmpty)

        let requested = sim.log.ofType(EventType.notification).compactMap { $0.data["id"]?.stringValue }
        #expect(requested.count > 10, "the run asked for notifications")
        #expect(Set(requested).count == requested.count, "ids collide: \(Dictionary(grouping: requested) { $0 }.filter { $0.value.count > 1 }.keys.sorted())")
        let sent = sim.log.ofType(EventType.notificationSent).compactMap { $0.data["id"]?.stringValue }
        let failed = sim.log.ofType(EventType.notificationFailed).filter { $0.data["final"]?.boolValue == true }
        #expect(failed.allSatisfy { !($0.data["error"]?.stringValue ?? "").isEmpty }, "a final failure says why")
        let ended = sent + failed.compactMap { $0.data["id"]?.stringValue }
        #expect(ended.sorted() == requested.sorted(), "each request ends exactly once")
        #expect(Set(sent) == Set(received.keys) && received.values.allSatisfy { $0 == 1 }, "the receiver got each sent one once")
    }

    /// The notifier's part, simulated: each due entry is accepted by the receiver or refused; refusals are
    /// retried twice and then fail for good (which may ask for someone else).
    func deliver(_ sim: inout Sim, _ rng: inout SplitMix, _ received: inout [String: Int], allSucceed: Bool) throws {
        for p in sim.state.dueNotifications(by: sim.now) {
            if allSucceed || Int.random(in: 0..<4, using: &rng) > 0 {
                received[p.id, default: 0] += 1
                try sim.run(.delivered(notification: p.id, channel: "webhook", digest: nil), by: "firebreakd")
            } else {
                let attempt = p.attempts + 1
                try sim.run(.deliveryFailed(notification: p.id, attempt: attempt, error: "HTTP 500",
                                            retryAt: attempt < 3 ? sim.now + .minutes(1) : nil), by: "firebreakd")
            }
        }
    }
}
