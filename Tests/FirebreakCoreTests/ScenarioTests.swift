import FirebreakCore
import Testing
@testable import FirebreakTestSupport

/// Every default playbook, run on a simulated clock from the first report to the closed incident.
@Suite struct ScenarioTests {
    /// A report that the playbook takes: its first category, or one no other playbook claims for the fallback.
    static func category(for p: Playbook) -> ReportCategory {
        p.match.categories.sorted { $0.rawValue < $1.rawValue }.first ?? .inappropriateContent
    }

    @Test(arguments: shipped.playbooks.playbooks.map(\.id))
    func aPlaybookRunsFromReportToClosedIncident(_ id: String) throws {
        let playbook = try #require(shipped.playbooks[id])
        let roster = shipped.roster!
        // Monday 23 November 2026, 08:40 in London (UTC in winter): comms on-call hands over at 09:00.
        var sim = Sim(now: ts("2026-11-23T08:40:00Z"))
        let category = Self.category(for: playbook)

        // A reporter files it; a colleague reports the same post under another address; the first reports again.
        let first = try sim.run(.report(Report(url: "https://twitter.com/poster/status/777?utm_source=share", category: category,
                                               text: "a post", views: 10), key: "spool:1"), by: "kim")
        let opened = try #require(first.ofType(EventType.incidentOpened).first)
        let inc = try #require(opened.incident)
        #expect(opened.data["plan"]?["playbook"]?.stringValue == id)
        #expect(opened.data["reason"]?.stringValue?.isEmpty == false)
        #expect(sim.incident(inc).severity == playbook.severity)
        sim.now = ts("2026-11-23T08:45:00Z")
        let second = try sim.run(.report(Report(url: "https://mobile.x.com/poster/status/777/#replies", category: category), key: "spool:2"), by: "amira")
        #expect(second.ofType(EventType.incidentOpened).isEmpty, "the same post joins the open incident")
        try sim.run(.report(Report(url: "http://x.com/poster/status/777", category: category), key: "spool:3"), by: "kim")
        #expect(sim.incident(inc).reportCount == 3)
        #expect(sim.incident(inc).reporters == ["kim", "amira"], "each reporter counts once")
        #expect(throws: EngineError.self) { try sim.run(.report(Report(url: "https://x.com/poster/status/777"), key: "spool:2"), by: "amira") }

        // Every step that became ready was given to whoever held its role at that moment.
        func checkOwners(_ events: [Event]) {
            for e in events.ofType(EventType.stepReady) {
                let role = e.data["role"]!.stringValue!
                #expect(e.data["owner"]?.stringValue == roster.holder(of: role, at: e.time), "\(id): \(e.data)")
            }
        }
        checkOwners(sim.log)

        // The first ready step is left to miss its deadline: it escalates along the policy, to the owner, then
        // the backup, then the manager, each resolved at the time.
        let victimIndex = try #require(sim.incident(inc).steps.firstIndex { $0.status == .ready })
        let victim = playbook.steps[victimIndex]
        let owner = try #require(sim.incident(inc).steps[victimIndex].owner)
        let due = sim.incident(inc).steps[victimIndex].due
        let fired = sim.advance(to: due + playbook.escalation.levels.last!.after + .minutes(1))
        let missed = fired.ofType(EventType.stepMissed).filter { $0.step == victim.id }
        #expect(missed.count == 1 && missed[0].time == due)
        let ladder = fired.ofType(EventType.escalation).filter { $0.step == victim.id }
        #expect(ladder.count == playbook.escalation.levels.count, "\(id): \(ladder.map(\.data))")
        var targets: [String] = []
        for (n, e) in ladder.enumerated() {
            let level = playbook.escalation.levels[n]
            #expect(e.time == due + level.after)
            let expected: String? = switch level.notify {
            case .owner: owner
            case .backup: roster.backup(of: victim.owner, at: e.time)
            case .manager: roster.manager(of: victim.owner)
            case .role(let r): roster.holder(of: r, at: e.time)
            }
            #expect(e.data["to"]?.stringValue == expected, "\(id) level \(n)")
            targets.append(level.notify.description)
            // And each is asked to be told.
            #expect(fired.ofType(EventType.notification).contains { $0.time == e.time && $0.data["to"] == e.data["to"] && $0.data["kind"] == "escalation" })
        }
        #expect(targets.contains("backup") && targets.contains("manager"), "\(id) escalates through backup and manager")
        // The unacknowledged incident escalated too.
        #expect(fired.ofType(EventType.ackMissed).count == 1)

        // Acknowledged, then every step worked in order until none is left.
        try sim.run(.acknowledge(incident: inc), by: roster.holder(of: playbook.steps[0].owner, at: sim.now)!)
        var rounds = 0
        while let i = sim.incident(inc).steps.firstIndex(where: { $0.isOpen }), rounds < 50 {
            rounds += 1
            let step = playbook.steps[i]
            let worker = sim.incident(inc).steps[i].owner ?? "dana"
            let events = try sim.run(.completeStep(incident: inc, step: step.id, note: "done by \(worker)"), by: worker)
            checkOwners(events)
            sim.now = sim.now + .minutes(5)
        }
        let statuses = sim.incident(inc).steps.map(\.status)
        #expect(statuses.allSatisfy { $0 == .done || $0 == .inactive }, "\(id): \(statuses)")
        #expect(sim.incident(inc).steps[victimIndex].status == .done)

        try sim.run(.resolve(incident: inc, summary: "Post removed; reviewed.", abandonOpenSteps: true), by: owner)
        #expect(throws: EngineError.self) { try sim.run(.close(incident: inc, reason: nil), by: owner) }  // managers only
        try sim.run(.close(incident: inc, reason: "review held"), by: "dana")
        #expect(sim.incident(inc).status == .closed)

        // Replaying the log gives exactly the state built live, deadlines included.
        var replayed = sim.replayed()
        #expect(replayed == sim.state)
        #expect(replayed.nextDeadline() == sim.state.nextDeadline())
    }

    @Test func stepsOpenWithTheOwnerOnDutyAcrossAHandOver() throws {
        var sim = Sim(now: ts("2026-11-23T08:40:00Z"))
        let events = try sim.run(.report(Report(url: "https://example.org/post/1", category: .inappropriateContent), key: nil), by: "kim")
        let inc = events[0].incident!
        #expect(events.ofType(EventType.stepReady).map { $0.data["owner"]?.stringValue } == ["amira"])
        sim.now = ts("2026-11-23T09:05:00Z")  // on-call handed over from amira to ben at 09:00
        let next = try sim.run(.completeStep(incident: inc, step: "preserve-evidence", note: nil), by: "amira")
        let ready = next.ofType(EventType.stepReady)
        #expect(ready.map { $0.step } == ["assess"] && ready.first?.data["owner"] == "ben")
        #expect(next.ofType(EventType.notification).first?.data["to"] == "ben")
    }

    @Test func reachRaisesSeverityAndBringsInTheGatedSteps() throws {
        var sim = Sim(now: ts("2026-11-23T10:00:00Z"))
        let events = try sim.run(.report(Report(url: "https://x.com/a/status/9", category: .negativeViral), key: nil), by: "kim")
        let inc = events[0].incident!
        let briefing = sim.incident(inc).stepIndex("executive-briefing")!
        #expect(sim.incident(inc).severity == .medium && sim.incident(inc).steps[briefing].status == .inactive)
        sim.now = ts("2026-11-23T10:20:00Z")
        let raised = try sim.run(.report(Report(url: "https://x.com/a/status/9", category: .negativeViral, views: 250_000), key: nil), by: "eli")
        let raise = try #require(raised.ofType(EventType.severityRaised).first)
        #expect(raise.data["to"] == "high" && raise.data["activated"] == ["executive-briefing"])
        #expect(raise.data["reason"]?.stringValue == "views 250000 ≥ 100000")
        let step = sim.incident(inc).steps[briefing]
        #expect(step.status == .ready && step.owner == "jo" && step.due == ts("2026-11-23T11:20:00Z"), "due 1h after the raise")
    }

    @Test func distinctReportersRaiseSeverityAndEachCountsOnce() throws {
        var sim = Sim(now: ts("2026-11-23T10:00:00Z"))
        let inc = try sim.run(.report(Report(url: "https://x.com/a/status/11", category: .harassment), key: nil), by: "kim")[0].incident!
        let safety = sim.incident(inc).stepIndex("safety-check")!
        for who in ["kim", "kim", "lee", "lee"] {
            try sim.run(.report(Report(url: "https://x.com/a/status/11", category: .harassment), key: nil), by: who)
        }
        #expect(sim.incident(inc).severity == .high && sim.incident(inc).steps[safety].status == .inactive, "two distinct reporters")
        let third = try sim.run(.report(Report(url: "https://x.com/a/status/11?utm_campaign=z", category: .harassment), key: nil), by: "max")
        #expect(third.ofType(EventType.severityRaised).first?.data["reason"] == "reporters 3 ≥ 3")
        #expect(sim.incident(inc).severity == .critical && sim.incident(inc).steps[safety].status == .ready)
    }

    @Test func deadlinesThatPassedWhileNobodyLookedFallDueAtOnceStampedWhenNoticed() throws {
        var sim = Sim(now: ts("2026-11-23T10:00:00Z"))
        let inc = try sim.run(.report(Report(url: "https://x.com/a/status/12", category: .confidentialInformation), key: nil), by: "kim")[0].incident!
        // Nothing looked at the clock for three hours (the daemon was down): everything due since falls due now.
        let late = ts("2026-11-23T13:00:00Z")
        let events = Engine.dueEvents(state: &sim.state, now: late, context: sim.context)
        #expect(!events.isEmpty && events.allSatisfy { $0.time == late })
        #expect(events.ofType(EventType.ackMissed).first?.data["due"] == "2026-11-23T10:15:00.000Z")
        #expect(events.allSatisfy { $0.incident == inc })
    }

    @Test func aReportAboutAResolvedIncidentsPostOpensANewLinkedIncident() throws {
        var sim = Sim(now: ts("2026-11-23T10:00:00Z"))
        let first = try sim.run(.report(Report(url: "https://x.com/a/status/5", category: .impersonation), key: nil), by: "kim")[0].incident!
        try sim.run(.resolve(incident: first, summary: "account removed", abandonOpenSteps: true), by: "eli")
        let again = try sim.run(.report(Report(url: "https://twitter.com/a/status/5", category: .impersonation), key: nil), by: "kim")
        let opened = try #require(again.ofType(EventType.incidentOpened).first)
        #expect(opened.incident != first && opened.data["linked_to"]?.stringValue == first)
        // The old one cannot be reopened while the new one is active for the same post.
        #expect(throws: EngineError.self) { try sim.run(.reopen(incident: first, reason: "back"), by: "dana") }
    }

    @Test func whoMayDoWhat() throws {
        var sim = Sim(now: ts("2026-11-23T10:00:00Z"))
        let inc = try sim.run(.report(Report(url: "https://x.com/a/status/6", category: .harassment), key: nil), by: "kim")[0].incident!
        func refusal(_ c: Command, _ who: String) -> String? {
            if case .failure(let e) = Engine.handle(c, by: sim.actor(who), state: sim.state, now: sim.now, context: sim.context) { return e.message }
            return nil
        }
        #expect(refusal(.acknowledge(incident: inc), "kim") == "only responders (people in a roster role) and managers may ack; kim is a reporter")
        #expect(refusal(.acknowledge(incident: inc), "amira") == nil)
        try sim.run(.resolve(incident: inc, summary: "handled", abandonOpenSteps: true), by: "amira")
        #expect(refusal(.close(incident: inc, reason: nil), "amira") == "only managers may close; amira is a responder")
        #expect(refusal(.close(incident: inc, reason: nil), "jo") == nil)
        #expect(refusal(.completeStep(incident: "INC-99", step: "x", note: nil), "amira") == "there is no incident INC-99; `firebreak incidents` lists them")
        try sim.run(.reopen(incident: inc, reason: "new replies"), by: "dana")
        #expect(refusal(.completeStep(incident: inc, step: "nope", note: nil), "amira")?.hasPrefix("\(inc) has no step named \"nope\"; its steps are: preserve-evidence, ") == true)
        // The steps open at the resolution were abandoned (skipped, saying so); reopening does not bring them back.
        #expect(refusal(.completeStep(incident: inc, step: "review", note: nil), "amira") == "review is already skipped")
        #expect(refusal(.skipStep(incident: inc, step: "platform-report", reason: " "), "amira") == "say why platform-report is skipped: the reason goes into the post-mortem")
    }

    @Test func theAcknowledgementDeadlineEscalatesLikeAStep() throws {
        var sim = Sim(now: ts("2026-11-23T10:00:00Z"))
        let inc = try sim.run(.report(Report(url: "https://x.com/a/status/7", category: .confidentialInformation), key: nil), by: "kim")[0].incident!
        let fired = sim.advance(to: ts("2026-11-23T11:00:00Z"))
        #expect(fired.ofType(EventType.ackMissed).map(\.time) == [ts("2026-11-23T10:15:00Z")])
        let acks = fired.ofType(EventType.escalation).filter { $0.step == nil }
        #expect(acks.map { $0.data["to"]?.stringValue } == ["ben", "dana", "dana"])  // owner (on-call), backup (comms lead), manager
        #expect(fired.ofType(EventType.notification).contains { $0.data["kind"] == "incident.ack_overdue" })
        try sim.run(.acknowledge(incident: inc), by: "ben")
        let later = sim.advance(by: .hours(3)).filter { $0.step == nil }
        #expect(later.isEmpty, "nothing more once acknowledged")
    }
}

@Suite struct VisibilityTests {
    @Test func respondersNeverLearnWhoReportedAndReportersSeeOnlyTheirOwn() throws {
        var sim = Sim(now: ts("2026-11-23T10:00:00Z"))
        let events = try sim.run(.report(Report(url: "https://x.com/a/status/8", category: .harassment, text: "about Sam"), key: "spool:9"), by: "kim")
        let received = try #require(events.ofType(EventType.reportReceived).first)
        let manager = sim.actor("dana"), responder = sim.actor("amira"), reporter = sim.actor("kim"), other = sim.actor("lee")
        #expect(Visibility.event(received, for: manager)?.data["reporter"] == "kim")
        let seen = try #require(Visibility.event(received, for: responder))
        #expect(seen.data["reporter"] == nil && seen.actor == "(a reporter)" && seen.data["text"] == "about Sam")
        #expect(Visibility.event(received, for: reporter)?.data["reporter"] == "kim")
        #expect(Visibility.event(received, for: other) == nil)
        let opened = try #require(events.ofType(EventType.incidentOpened).first)
        #expect(Visibility.event(opened, for: reporter) == nil)
        #expect(Visibility.maySeeReporters(manager) && !Visibility.maySeeReporters(responder))
        let incident = sim.incident(opened.incident!)
        #expect(Visibility.maySee(incident, actor: reporter) && Visibility.maySee(incident, actor: responder) && !Visibility.maySee(incident, actor: other))
    }
}
