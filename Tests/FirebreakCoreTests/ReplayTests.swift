import FirebreakCore
import Testing

/// The state is a fold of the events: for random sequences of commands and clock moves, replaying the events
/// gives exactly the state live operation built, and the same next deadline.
@Suite struct ReplayTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func replayingTheEventsRebuildsTheLiveState(_ seed: UInt64) {
        var rng = SplitMix(seed: seed)
        var sim = Sim(now: ts("2026-11-20T07:00:00Z"))
        let people = ["kim", "amira", "ben", "chloe", "dana", "eli", "farah", "gus", "hana", "ivan", "jo"]
        let urls = (0..<12).map { "https://x.com/p/status/\($0)" } + ["https://twitter.com/p/status/3?utm_source=a", "https://m.x.com/p/status/4/"]
        let categories = ReportCategory.allCases
        var accepted = 0, refused = 0
        for _ in 0..<400 {
            let ids = sim.state.incidents.keys.sorted()
            let inc = ids.randomElement(using: &rng)
            let steps = inc.map { sim.incident($0).plan.steps.map(\.id) } ?? []
            let step = steps.randomElement(using: &rng) ?? "x"
            let who = people.randomElement(using: &rng)!
            let command: Command
            switch Int.random(in: 0..<12, using: &rng) {
            case 0, 1, 2:
                command = .report(Report(url: urls.randomElement(using: &rng)!, category: categories.randomElement(using: &rng),
                                         text: ["board pack", "leak", "", "customer data"].randomElement(using: &rng),
                                         views: Int64.random(in: 0..<2_000_000, using: &rng)), key: "k\(Int.random(in: 0..<300, using: &rng))")
            case 3: command = .acknowledge(incident: inc ?? "INC-1")
            case 4: command = .acknowledgeStep(incident: inc ?? "INC-1", step: step)
            case 5, 6: command = .completeStep(incident: inc ?? "INC-1", step: step, note: "ok")
            case 7: command = .skipStep(incident: inc ?? "INC-1", step: step, reason: "not needed")
            case 8: command = .assignStep(incident: inc ?? "INC-1", step: step, to: people.randomElement(using: &rng)!)
            case 9: command = .resolve(incident: inc ?? "INC-1", summary: "done")
            case 10: command = [.close(incident: inc ?? "INC-1", reason: nil), .reopen(incident: inc ?? "INC-1", reason: "again")].randomElement(using: &rng)!
            default: command = .escalate(incident: inc ?? "INC-1", step: Bool.random(using: &rng) ? step : nil, reason: "help")
            }
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
        var a = replayed, b = live
        var fromReplay: [Event] = [], fromLive: [Event] = []
        while let d = a.nextDeadline(), d.time <= later {
            let e = Engine.dueEvents(state: &a, now: d.time, context: sim.context)
            e.forEach { a.apply($0) }
            fromReplay += e
        }
        while let d = b.nextDeadline(), d.time <= later {
            let e = Engine.dueEvents(state: &b, now: d.time, context: sim.context)
            e.forEach { b.apply($0) }
            fromLive += e
        }
        #expect(fromReplay == fromLive)
    }
}
