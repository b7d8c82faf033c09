import Foundation
import FirebreakCore
import Testing
@testable import FirebreakTestSupport

/// The state is a fold of the events: for random sequences of commands and clock moves, replaying the events
/// gives exactly the state live operation built, and the same next deadline.
@Suite struct ReplayTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func replayingTheEventsRebuildsTheLiveState(_ seed: UInt64) {
        var rng = SplitMix(seed: seed)
        var sim = Sim(now: ts("2026-11-20T07:00:00Z"))
        var accepted = 0, refused = 0
        for _ in 0..<400 {
            let (command, who) = Self.randomCommand(&rng, sim)
            if (try? sim.run(command, by: who)) != nil { accepted += 1 } else { refused += 1 }
            sim.advance(by: TimeSpan(milliseconds: Int64.random(in: 0..<3_600_000, using: &rng)))
        }
        #expect(accepted > 50 && refused > 50, "a mix of accepted (\(accepted)) and refused (\(refused)) commands")
        #expect(sim.log.count > 500)
        var replayed = sim.replayed()
        #expect(replayed == sim.state)
        var live = sim.state
        #expect(replayed.nextDeadline() == live.nextDeadline())
        // And the same events fall due from both from here on.
        let later = sim.now + .days(2)
        #expect(sim.fireAll(&replayed, until: later) == sim.fireAll(&live, until: later))
    }
    /// An incident the engine opens is applied from the plan object its playbook set keeps, not from the
    /// record's JSON; from the journal it is decoded. Both give the same incident, for every shipped playbook.
    @Test func anIncidentOpenedLiveEqualsTheOneReadBackForEveryPlaybook() throws {
        var sim = Sim(now: ts("2026-11-20T07:00:00Z"))
        var opened: Set<String> = []
        for (i, category) in ([nil] + ReportCategory.allCases.map(Optional.some)).enumerated() {
            let events = try sim.run(.report(Report(url: "https://x.com/p/status/\(900 + i)", category: category), key: nil), by: "kim")
            let incident = try #require(events.first { $0.type == EventType.incidentOpened }?.incident)
            opened.insert(sim.incident(incident).playbook)
        }
        #expect(opened == Set(shipped.playbooks.playbooks.map(\.id)))
        let replayed = sim.replayed()
        #expect(replayed == sim.state)
        #expect(replayed.distinctPlans == opened.count)
        for (id, live) in sim.state.incidents { #expect(replayed.incidents[id]?.plan == live.plan, "\(id)") }
    }

    static let people = ["kim", "amira", "ben", "chloe", "dana", "eli", "farah", "gus", "hana", "ivan", "jo"]
    static let urls = (0..<12).map { "https://x.com/p/status/\($0)" } + ["https://twitter.com/p/status/3?utm_source=a", "https://m.x.com/p/status/4/"]

    /// A command about a random incident and step (some valid, many refused), and who gives it.
    static func randomCommand(_ rng: inout SplitMix, _ sim: Sim) -> (Command, String) {
        let categories = ReportCategory.allCases
        let ids = sim.state.incidents.keys.sorted()
        let inc = ids.randomElement(using: &rng)
        let steps = inc.map { sim.incident($0).plan.steps.map(\.id) } ?? []
        let step = steps.randomElement(using: &rng) ?? "x"
        let who = people.randomElement(using: &rng)!
        let command: Command
        switch Int.random(in: 0..<14, using: &rng) {
        case 0, 1, 2:
            command = .report(Report(url: urls.randomElement(using: &rng)!, category: categories.randomElement(using: &rng),
                                     text: ["board pack", "leak", "", "customer data"].randomElement(using: &rng),
                                     views: Int64.random(in: 0..<2_000_000, using: &rng)), key: "k\(Int.random(in: 0..<300, using: &rng))")
        case 3: command = .acknowledge(incident: inc ?? "INC-1")
        case 4: command = .acknowledgeStep(incident: inc ?? "INC-1", step: step)
        case 5, 6: command = .completeStep(incident: inc ?? "INC-1", step: step, note: "ok")
        case 7: command = .skipStep(incident: inc ?? "INC-1", step: step, reason: "not needed")
        case 8: command = .assignStep(incident: inc ?? "INC-1", step: step, to: people.randomElement(using: &rng)!)
        case 9: command = .resolve(incident: inc ?? "INC-1", summary: "done", abandonOpenSteps: Bool.random(using: &rng))
        case 10: command = [.close(incident: inc ?? "INC-1", reason: nil), .reopen(incident: inc ?? "INC-1", reason: "again")].randomElement(using: &rng)!
        default: command = .escalate(incident: inc ?? "INC-1", step: Bool.random(using: &rng) ? step : nil, reason: "help")
        }
        return (command, who)
    }

    /// The daemon decides a batch of commands on a state with the earlier ones applied, then journals them in one
    /// append; when the append fails it takes the batch back. Taking back must give exactly the state before,
    /// with the same deadlines (including ones that fell due inside the batch).
    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func aBatchTakenBackLeavesTheStateAsItWas(_ seed: UInt64) {
        var rng = SplitMix(seed: seed)
        var sim = Sim(now: ts("2026-11-20T07:00:00Z"))
        var reverted = 0
        for round in 0..<120 {
            let before = sim.state
            var undo = EngineUndo()
            var batch: [Event] = []
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let (command, who) = Self.randomCommand(&rng, sim)
                if let events = try? Engine.handle(command, by: sim.actor(who), state: &sim.state, undo: &undo, now: sim.now, context: sim.context).get() {
                    batch += events
                }
            }
            let due = Engine.dueEvents(state: &sim.state, undo: &undo, now: sim.now, context: sim.context)
            batch += due
            if round % 3 == 0 && !batch.isEmpty {
                sim.state.revert(undo)
                #expect(sim.state == before)
                var a = sim.state, b = before
                #expect(a.nextDeadline() == b.nextDeadline())
                #expect(Engine.dueEvents(state: &a, now: sim.now + .days(1), context: sim.context)
                        == Engine.dueEvents(state: &b, now: sim.now + .days(1), context: sim.context))
                reverted += 1
            } else {
                sim.log += batch
            }
            sim.now = sim.now + TimeSpan(milliseconds: Int64.random(in: 0..<3_600_000, using: &rng))
        }
        #expect(reverted >= 30)
        #expect(sim.replayed() == sim.state, "kept batches replay to the live state")
    }
}

/// The outbox: every notification the engine asks for waits under an id of its own until the notifier reports
/// it delivered or, after its last attempt, failed, when the backup of the step's role is told instead.
@Suite struct OutboxTests {
    /// One step, owned by the on-call role (Tests/support/playbooks/triage.yaml).
    static let playbook = try! String(contentsOfFile: TestPaths.repoRoot + "/Tests/support/playbooks/triage.yaml", encoding: .utf8)
    static let roster = """
        people:
          - {id: olga, name: Olga}
          - {id: bert, name: Bert}
          - {id: mia, name: Mia}
          - {id: max, name: Max}
        managers: [mia, max]
        roles:
          - {id: on-call, title: On call, members: [olga], backup: cover, manager: mia}
          - {id: cover, title: Cover, members: [bert], manager: mia}

        """

    func sim() throws -> Sim {
        let (parsedRoster, rd) = RosterParser.parse(Self.roster, file: "roster.yaml")
        let (playbook, pd) = PlaybookParser.parse(Self.playbook, file: "triage.yaml", roster: parsedRoster)
        #expect((rd + pd).allSatisfy { $0.level != .error }, "\(rd + pd)")
        let set = PlaybookSet([try #require(playbook)])
        let roster = try #require(parsedRoster)
        return Sim(now: ts("2026-11-20T07:00:00Z"), context: EngineContext(playbooks: set, roster: roster))
    }

    @Test func aRequestWaitsUntilDeliveredAndRetriesMoveItsNextAttempt() throws {
        var s = try sim()
        try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        let pending = try #require(s.state.outbox["INC-1.n1"])
        #expect(pending.to == "olga" && pending.kind == "step.assigned" && pending.step == "look" && pending.nextAttempt == s.now)
        #expect(s.state.dueNotifications(by: s.now).map(\.id) == ["INC-1.n1"])
        let retry = s.now + .minutes(1)
        try s.run(.deliveryFailed(notification: "INC-1.n1", attempt: 1, error: "HTTP 500", retryAt: retry), by: "firebreakd")
        #expect(s.state.outbox["INC-1.n1"]?.attempts == 1 && s.state.outbox["INC-1.n1"]?.nextAttempt == retry)
        #expect(s.state.dueNotifications(by: s.now).isEmpty && s.state.nextNotificationAttempt(after: s.now) == retry)
        let sent = try s.run(.delivered(notification: "INC-1.n1", channel: "email", digest: nil), by: "firebreakd")
        #expect(sent.first?.type == EventType.notificationSent && sent.first?.data["attempt"] == 2)
        #expect(s.state.outbox.isEmpty)
        // Delivered once: a second report of delivery is refused, nothing is recorded twice.
        #expect(throws: EngineError.self) { try s.run(.delivered(notification: "INC-1.n1", channel: "email", digest: nil), by: "firebreakd") }
        // Only the daemon reports deliveries.
        #expect(throws: EngineError.self) { try s.run(.delivered(notification: "INC-1.n1", channel: "email", digest: nil), by: "olga") }
        #expect(s.replayed() == s.state)
    }

    @Test func someoneUnreachableIsReplacedByTheBackupThenTheManagerAndTheChainEnds() throws {
        var s = try sim()
        try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        var told: [String] = []
        var id = "INC-1.n1"
        while let p = s.state.outbox[id] {
            told.append(p.to)
            let events = try s.run(.deliveryFailed(notification: id, attempt: 1, error: "refused", retryAt: nil), by: "firebreakd")
            guard let next = events.first(where: { $0.type == EventType.notification }) else { break }
            #expect(next.data["kind"] == "notification.unreachable" && next.data["about"]?.stringValue == id)
            #expect(next.data["reason"]?.stringValue?.contains("\(p.to) could not be reached") == true)
            id = next.data["id"]!.stringValue!
        }
        // Olga, then her role's backup (the holder of cover), then the role's manager; then nobody more.
        #expect(told == ["olga", "bert", "mia"])
        #expect(s.state.outbox.isEmpty)
        #expect(s.replayed() == s.state)
    }

    @Test func theOwnersHearWhenAStepIsMissedAndWhenTheIncidentIsResolved() throws {
        var s = try sim()
        try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        // The default policy's first level tells the owner at once: Olga gets one message for the missed
        // deadline, saying where she stands, not "missed" and "escalated to you" together.
        let told = s.advance(by: .minutes(61)).filter { $0.type == EventType.notification && $0.data["to"] == "olga" && $0.data["kind"] != "step.reminder" }
        let aboutTheStep = told.filter { $0.data["step"] == "look" }
        #expect(aboutTheStep.count == 1 && aboutTheStep.first?.data["kind"] == "escalation", "\(told.map(\.data))")
        #expect(aboutTheStep.first?.data["reason"]?.stringValue?.hasPrefix("You are the owner of this step (escalation level 1 of ") == true)
        let resolved = try s.run(.resolve(incident: "INC-1", summary: "taken down", abandonOpenSteps: true), by: "mia")
        #expect(resolved.filter { $0.type == EventType.notification }.map { $0.data["to"]?.stringValue } == ["olga"])
        #expect(resolved.last?.data["kind"] == "incident.resolved")
    }
}
