@testable import FirebreakDaemon
import Testing
@testable import FirebreakTestSupport

/// The deadline loop's and the notifier's sleep: a wake that comes while the loop is busy is kept for its next
/// sleep, and keeps its `within`. Upper bounds are loose (the suite runs beside many other tests on two cores):
/// they tell a cut sleep from an hour-long one.
@Suite struct WakeupTests {
    @Test func aWakeWhileAwakeEndsTheNextSleepAtOnce() async {
        let w = Wakeup()
        w.wake()
        let started = ContinuousClock.now
        await w.sleep(for: .seconds(3600))
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    /// Under a stream of batches the desk wakes the deadline loop after each one "within a second" (its STATUS
    /// line); that must cut its next sleep to a second, not to nothing.
    @Test func aWakeWithinADurationWhileAwakeCutsTheNextSleepToThatDuration() async {
        let w = Wakeup()
        w.wake(within: .milliseconds(300))
        let started = ContinuousClock.now
        await w.sleep(for: .seconds(3600))
        let slept = ContinuousClock.now - started
        #expect(slept >= .milliseconds(250) && slept < .seconds(120), "slept \(slept)")
        // Used up: the sleep after it is not cut.
        let again = ContinuousClock.now
        let sleeper = Task { await w.sleep(for: .milliseconds(200)) }
        await sleeper.value
        #expect(ContinuousClock.now - again >= .milliseconds(150))
    }

    @Test func aWakeWithinALongerDurationLeavesASleeperAlone() async {
        let w = Wakeup()
        let started = ContinuousClock.now
        let sleeper = Task { await w.sleep(for: .milliseconds(300)) }
        try? await Task.sleep(for: .milliseconds(50))
        w.wake(within: .seconds(10))
        await sleeper.value
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        let woken = ContinuousClock.now
        let long = Task { await w.sleep(for: .seconds(3600)) }
        try? await Task.sleep(for: .milliseconds(50))
        w.wake(within: .milliseconds(1))
        await long.value
        #expect(ContinuousClock.now - woken < .seconds(120))
    }

    /// The desk wakes the deadline loop "within a second" after every batch it journals, while the loop sleeps
    /// a minute: the loop must wake once, a second later, not at once for every batch (which cost one client
    /// two thread wakes and a visit to the desk per report).
    @Test func wakesWithinADurationWhileAsleepEndTheSleepOnceThatDurationLater() async {
        let w = Wakeup()
        let started = ContinuousClock.now
        let sleeper = Task { await w.sleep(for: .seconds(3600)) }
        try? await Task.sleep(for: .milliseconds(50))
        let firstWake = ContinuousClock.now
        // A stream of batches, one every 10 ms, each asking for a wake within 400 ms.
        let stream = Task {
            for _ in 0..<30 {
                w.wake(within: .milliseconds(400))
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        await sleeper.value
        let slept = ContinuousClock.now - firstWake
        #expect(slept >= .milliseconds(350), "woke \(slept) after the first wake: a wake within 400 ms ended the sleep early")
        #expect(ContinuousClock.now - started < .seconds(120))
        await stream.value
    }
}
