import FirebreakCore
import Testing
@testable import FirebreakTestSupport

/// What the engine promises responders about their work: a step's clock can start when it becomes ready, a
/// step done by someone else is credited to them, each person gets one message per event saying where they
/// stand, and resolving never hides open steps.
@Suite struct WorkflowSemanticsTests {
    static let roster = NotificationIdentityTests.roster

    static func sim(_ playbook: String) throws -> Sim {
        let (parsedRoster, rd) = RosterParser.parse(roster, file: "roster.yaml")
        let (parsed, pd) = PlaybookParser.parse(playbook, file: "p.yaml", roster: parsedRoster)
        #expect((rd + pd).allSatisfy { $0.level != .error }, "\(rd + pd)")
        let context = EngineContext(playbooks: PlaybookSet([try #require(parsed)]), roster: try #require(parsedRoster))
        return Sim(now: ts("2026-11-20T07:00:00Z"), context: context)
    }

    static func playbook(secondDueAfter: String?) -> String {
        """
        id: p
        title: P
        match:
          fallback: true
        severity: high
        acknowledge: 15m
        escalation:
          levels:
            - after: 0m
              notify: owner
            - after: 15m
              notify: backup
            - after: 30m
              notify: manager
        steps:
          - id: first
            title: First
            owner: on-call
            due: 15m
          - id: second
            title: Second
            owner: legal
            due: 1h
            after: [first]\(secondDueAfter.map { "\n    due_after: \($0)" } ?? "")

        """
    }

    @Test func dueAfterReadyStartsTheClockWhenTheStepBecomesReady() throws {
        for (setting, expected) in [(nil, "2026-11-20T08:00:00.000Z"), ("opening", "2026-11-20T08:00:00.000Z"), ("ready", "2026-11-20T08:50:00.000Z")] {
            var s = try Self.sim(Self.playbook(secondDueAfter: setting))
            try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
            s.advance(by: .minutes(50))  // the first step is 35 minutes late
            let events = try s.run(.completeStep(incident: "INC-1", step: "first", note: nil), by: "olga")
            #expect(s.incident("INC-1").steps[1].due == ts(expected), "due_after: \(setting ?? "(default)")")
            #expect(events.first { $0.type == EventType.stepReady }?.data["due"]?.stringValue == expected)
            #expect(s.replayed() == s.state)
        }
        let (_, bad) = PlaybookParser.parse(Self.playbook(secondDueAfter: "later"), file: "p.yaml", roster: nil)
        #expect(bad.contains { $0.level == .error && $0.message.contains("steps[1].due_after is \"later\"") }, "\(bad)")
    }

    @Test func aStepDoneBySomeoneElseIsCreditedToThemAndSaysWhoseItWas() throws {
        var s = try Self.sim(Self.playbook(secondDueAfter: nil))
        try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        let done = try s.run(.completeStep(incident: "INC-1", step: "first", note: "captured"), by: "bert")
        #expect(done.first { $0.type == EventType.stepDone }?.data["done_for"] == "olga")
        let step = s.incident("INC-1").steps[0]
        #expect(step.owner == "bert" && step.doneByOther)
        #expect(s.replayed() == s.state)
        let own = try s.run(.completeStep(incident: "INC-1", step: "second", note: nil), by: "sam")
        #expect(own.first { $0.type == EventType.stepDone }?.data["done_for"] == nil)
    }

    @Test func eachPersonGetsOneMessagePerEventSayingWhereTheyStand() throws {
        var s = try Self.sim(Self.playbook(secondDueAfter: nil))
        try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        let fired = s.advance(by: .minutes(46)).filter { $0.type == EventType.notification && $0.data["kind"] != "step.reminder" }
        // The acknowledgement and the first step fall due together at 15 min: Olga (owner of both) hears once
        // for each, Bert the backup at 30 min, Mia the manager at 45 min, each saying which level they are.
        let byPerson = Dictionary(grouping: fired) { $0.data["to"]?.stringValue ?? "" }
        let olga = byPerson["olga"] ?? []
        #expect(olga.count == 2 && Set(olga.compactMap { $0.data["kind"]?.stringValue }) == ["escalation", "incident.ack_overdue"], "\(olga.map(\.data))")
        #expect(olga.allSatisfy { $0.data["reason"]?.stringValue?.hasPrefix("You are the owner of") == true })
        let bert = (byPerson["bert"] ?? []).compactMap { $0.data["reason"]?.stringValue }
        let mia = (byPerson["mia"] ?? []).compactMap { $0.data["reason"]?.stringValue }
        #expect(bert.count == 2 && bert.allSatisfy { $0.hasPrefix("You are the backup for On call (escalation level 2 of 3).") }, "\(bert)")
        #expect(mia.count == 2 && mia.allSatisfy { $0.hasPrefix("You are the manager of On call (escalation level 3 of 3).") }, "\(mia)")
        #expect(Set(fired.compactMap { $0.data["id"]?.stringValue }).count == fired.count)
    }

    @Test func resolvingWithOpenStepsAsksAndThenRecordsThemAsAbandoned() throws {
        var s = try Self.sim(Self.playbook(secondDueAfter: nil))
        try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        #expect(throws: EngineError.self) { try s.run(.resolve(incident: "INC-1", summary: "gone"), by: "olga") }
        #expect(s.incident("INC-1").status == .open)
        let events = try s.run(.resolve(incident: "INC-1", summary: "gone", abandonOpenSteps: true), by: "olga")
        let abandoned = events.filter { $0.type == EventType.stepSkipped && $0.data["abandoned"] == true }.compactMap { $0.data["step"]?.stringValue }
        #expect(abandoned == ["first", "second"])
        #expect(s.incident("INC-1").steps.allSatisfy { $0.status == .skipped } && s.incident("INC-1").status == .resolved)
        // With every step finished there is nothing to ask about.
        var t = try Self.sim(Self.playbook(secondDueAfter: nil))
        try t.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        try t.run(.completeStep(incident: "INC-1", step: "first", note: nil), by: "olga")
        try t.run(.skipStep(incident: "INC-1", step: "second", reason: "nothing disclosed"), by: "sam")
        #expect(try t.run(.resolve(incident: "INC-1", summary: "gone"), by: "olga").contains { $0.type == EventType.incidentResolved })
    }

    @Test func anOverrideIsJournaledSurvivesReplayAndSnapshotAndDecidesWhoGetsTheStep() throws {
        var s = try Self.sim(Self.playbook(secondDueAfter: nil))
        let until = s.now + .hours(8)
        #expect(throws: EngineError.self) { try s.run(.overrideRole(role: "on-call", person: "bert", until: until, reason: nil), by: "olga") }
        #expect(throws: EngineError.self) { try s.run(.overrideRole(role: "nope", person: "bert", until: until, reason: nil), by: "mia") }
        #expect(throws: EngineError.self) { try s.run(.overrideRole(role: "on-call", person: "bert", until: s.now, reason: nil), by: "mia") }
        let made = try s.run(.overrideRole(role: "on-call", person: "bert", until: until, reason: "Olga is ill"), by: "mia")
        #expect(made.first?.type == EventType.rosterOverride && made.first?.data["was"] == "olga" && made.first?.data["reason"] == "Olga is ill")
        try s.run(.report(Report(url: "https://x.com/a/status/1"), key: nil), by: "kim")
        #expect(s.incident("INC-1").steps[0].owner == "bert", "the override decides who gets the step")
        // After it ends, the roster's own holder is back.
        s.advance(to: until + .minutes(1))
        try s.run(.report(Report(url: "https://x.com/a/status/2"), key: nil), by: "kim")
        #expect(s.incident("INC-2").steps[0].owner == "olga")
        #expect(s.replayed() == s.state)
        var bytes: [UInt8] = []
        JSONWriter.write(StateSnapshot.json(s.state), into: &bytes)
        let read = try StateSnapshot.state(JSONParser.parse(bytes, maxDepth: 16))
        #expect(read == s.state && read.overrides.count == 1)
        // Taken back with its batch when the journal could not keep it.
        var undo = EngineUndo()
        let before = s.state
        _ = try Engine.handle(.overrideRole(role: "cover", person: "sam", until: s.now + .hours(1), reason: nil), by: s.actor("mia"),
                              state: &s.state, undo: &undo, now: s.now, context: s.context).get()
        #expect(s.state.overrides.count == 2)
        s.state.revert(undo)
        #expect(s.state == before)
    }
}
