import FirebreakCore
import Testing
@testable import FirebreakTestSupport

/// A snapshot is the state written out and read back: for the random states of the replay property, reading
/// the snapshot's bytes gives a state equal to the live one, with the same next deadline and the same events
/// falling due afterwards; and the same state always gives the same bytes.
@Suite struct StateSnapshotTests {
    @Test(arguments: [21, 22, 23, 24] as [UInt64])
    func aSnapshotReadsBackAsTheStateItWasTakenFrom(_ seed: UInt64) throws {
        var rng = SplitMix(seed: seed)
        var sim = Sim(now: ts("2026-11-20T07:00:00Z"))
        for _ in 0..<400 {
            let (command, who) = ReplayTests.randomCommand(&rng, sim)
            _ = try? sim.run(command, by: who)
            sim.advance(by: TimeSpan(milliseconds: Int64.random(in: 0..<3_600_000, using: &rng)))
        }
        // A fresh incident, so that deadlines are still to come after 400 random hours.
        try sim.run(.report(Report(url: "https://x.com/p/status/fresh", category: .harassment), key: nil), by: "kim")
        #expect(sim.state.incidents.count > 5)
        #expect(sim.state.incidents.values.contains { !$0.isActive } && sim.state.incidents.values.contains { $0.isActive })
        var bytes: [UInt8] = []
        JSONWriter.write(StateSnapshot.json(sim.state), into: &bytes)
        var read = try StateSnapshot.state(JSONParser.parse(bytes, maxDepth: 16))
        #expect(read == sim.state)
        #expect(read.distinctPlans == sim.state.distinctPlans)
        var again: [UInt8] = []
        JSONWriter.write(StateSnapshot.json(read), into: &again)
        #expect(again == bytes, "the same state gives the same bytes")

        var live = sim.state
        #expect(read.nextDeadline() == live.nextDeadline())
        let later = sim.now + .days(2)
        let fromLive = sim.fireAll(&live, until: later)
        #expect(!fromLive.isEmpty)
        #expect(sim.fireAll(&read, until: later) == fromLive)
    }

    @Test func aSnapshotOfAnotherVersionOrShapeIsRefusedWithAReason() throws {
        #expect(throws: StateSnapshot.Problem.self) { try StateSnapshot.state(.object(["version": .int(99)])) }
        var good = StateSnapshot.json(EngineState())
        guard case .object(var o) = good else { return }
        o["incidents"] = .array([.array([.string("INC-1")])])
        good = .object(o)
        do {
            _ = try StateSnapshot.state(good)
            Issue.record("a short incident was accepted")
        } catch {
            #expect(error.description.contains("26 fields"))
        }
    }
}
