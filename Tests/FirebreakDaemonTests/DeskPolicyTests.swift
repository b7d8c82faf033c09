import FirebreakCore
@testable import FirebreakDaemon
import FirebreakUnix
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

/// The deadline timer against the kernel's own view of the timerfd (`timerfd_gettime`): armed for the soonest
/// deadline, never more than a minute ahead, not again for the same deadline, disarmed when none is left.
@Suite struct DeadlineTimerTests {
    /// Seconds until the timer fires; 0 when disarmed.
    func secondsLeft(_ timer: DeadlineTimer) -> Double {
        Double(PollTimer.remainingNanoseconds(timer.descriptor)) / 1e9
    }

    @Test func itIsArmedForTheSoonestDeadlineAndAtMostAMinuteAhead() throws {
        var timer = try DeadlineTimer()
        defer { timer.close() }
        let now = Timestamp(millisecondsSinceEpoch: 1_795_336_200_000)
        #expect(secondsLeft(timer) == 0)
        // An hour away: armed for a minute, so that a step of the wall clock is noticed within one.
        timer.arm(for: now + .seconds(3600), notBefore: nil, now: now)
        let capped = secondsLeft(timer)
        #expect(capped > 55 && capped <= 60)
        // A sooner deadline re-arms it.
        timer.arm(for: now + .seconds(5), notBefore: nil, now: now)
        let soon = secondsLeft(timer)
        #expect(soon > 3 && soon <= 5)
        // The same deadline again, later: left as it is (it is not pushed back).
        timer.arm(for: now + .seconds(5), notBefore: nil, now: now + .seconds(4))
        let same = secondsLeft(timer)
        #expect(same > 3 && same <= 5)
        // After it fired (`forget`), the same deadline arms it again from the new now.
        timer.forget()
        timer.arm(for: now + .seconds(5), notBefore: nil, now: now + .seconds(4))
        let again = secondsLeft(timer)
        #expect(again > 0 && again <= 1)
        // A deadline already past, to be retried no sooner than a second from now.
        timer.arm(for: now - .seconds(10), notBefore: now + .seconds(1), now: now)
        let retry = secondsLeft(timer)
        #expect(retry > 0.5 && retry <= 1)
        // No deadline left: disarmed.
        timer.arm(for: nil, notBefore: nil, now: now)
        #expect(secondsLeft(timer) == 0)
    }
}
