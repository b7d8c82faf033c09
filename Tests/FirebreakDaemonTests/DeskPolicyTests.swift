@testable import FirebreakDaemon
import Testing

/// The desk's batching and snapshot pacing as values: what they answer, without a desk, a thread or a clock.
@Suite struct DeskPolicyTests {
    @Test func aBatchTakesEveryJobInFrontAndAtMostItsShareOfTheBackground() {
        var lanes = BatchLanes<Int>(backgroundPerBatch: 2)
        let r1 = lanes.add(1)
        #expect(r1 == .startDraining)
        let r2 = lanes.addBackground([100, 101, 102, 103, 104])
        #expect(r2 == .queued)
        let r3 = lanes.add(2)
        #expect(r3 == .queued)
        let r4 = lanes.nextBatch()
        #expect(r4 == [1, 2, 100, 101])
        #expect(lanes.hasBackground)
        let r5 = lanes.add(3, background: false)
        #expect(r5 == .queued)
        let r6 = lanes.nextBatch()
        #expect(r6 == [3, 102, 103])
        let r7 = lanes.nextBatch()
        #expect(r7 == [104])
        #expect(!lanes.hasBackground)
        // Empty: the drain loop ends, and the next arrival starts another.
        let r8 = lanes.nextBatch()
        #expect(r8 == nil)
        let r9 = lanes.add(4, background: true)
        #expect(r9 == .startDraining)
        let r10 = lanes.nextBatch()
        #expect(r10 == [4])
    }

    @Test func snapshotsComeAfterEnoughRecordsOneAtATimeAndPaced() {
        let t0 = ContinuousClock.now
        var policy = SnapshotPolicy(every: 100, since: 40, now: t0)
        #expect(!policy.isDue(at: t0))
        policy.journaled(60)
        #expect(policy.isDue(at: t0) && policy.hasUnsaved)
        let started = policy.start()
        #expect(started)
        let again = policy.start()
        #expect(!again && !policy.isDue(at: t0))
        policy.journaled(150)
        #expect(!policy.isDue(at: t0 + .seconds(1)))
        // Took 2 s: the next no sooner than 20 s after it finished.
        policy.finished(started: t0, now: t0 + .seconds(2))
        #expect(!policy.isDue(at: t0 + .seconds(21)))
        #expect(policy.isDue(at: t0 + .seconds(22)))
    }
}
