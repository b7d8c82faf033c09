@testable import FirebreakDaemon
import Synchronization
import Testing
@testable import FirebreakTestSupport

/// The deadline loop's and the notifier's sleep, on a manual clock: a wake that comes while the loop is busy is
/// kept for its next sleep and keeps its `within`; a wake within a duration cuts a longer sleep to it, once. The
/// clock moves only when a test moves it, so every deadline is checked to the millisecond and nothing waits for
/// real time but the hand-over between tasks.
@Suite struct WakeupTests {
    final class Flag: Sendable { let value = Atomic<Bool>(false) }

    /// A sleep in a task of its own, and whether it has ended.
    struct Sleep {
        let ended = Flag()
        init(_ w: Wakeup<ManualClock>, for duration: Duration) {
            let ended = self.ended
            Task {
                await w.sleep(for: duration)
                ended.value.store(true, ordering: .releasing)
            }
        }
        var hasEnded: Bool { ended.value.load(ordering: .acquiring) }
    }

    @Test func aWakeWhileAwakeEndsTheNextSleepAtOnce() async {
        let clock = ManualClock()
        let w = Wakeup(clock: clock)
        w.wake()
        let s = Sleep(w, for: .seconds(3600))
        #expect(await eventually { s.hasEnded }, "the clock never moved: only the wake can have ended it")
        #expect(clock.sleepers.isEmpty)
    }

    /// Under a stream of batches the desk wakes the deadline loop after each one "within a second" (its STATUS
    /// line); that must cut its next sleep to a second, not to nothing.
    @Test func aWakeWithinADurationWhileAwakeCutsTheNextSleepToThatDuration() async {
        let clock = ManualClock()
        let w = Wakeup(clock: clock)
        let start = clock.now
        w.wake(within: .milliseconds(300))
        let s = Sleep(w, for: .seconds(3600))
        #expect(await eventually { clock.sleepers == [start.advanced(by: .milliseconds(300))] }, "\(clock.sleepers)")
        clock.advance(by: .milliseconds(299))
        #expect(clock.sleepers == [start.advanced(by: .milliseconds(300))] && !s.hasEnded)
        clock.advance(by: .milliseconds(1))
        #expect(await eventually { s.hasEnded })
        // Used up: the sleep after it is not cut.
        let again = Sleep(w, for: .milliseconds(200))
        let from = clock.now
        #expect(await eventually { clock.sleepers == [from.advanced(by: .milliseconds(200))] }, "\(clock.sleepers)")
        clock.advance(by: .milliseconds(200))
        #expect(await eventually { again.hasEnded })
    }

    @Test func aWakeWithinALongerDurationLeavesASleeperAlone() async {
        let clock = ManualClock()
        let w = Wakeup(clock: clock)
        let start = clock.now
        let s = Sleep(w, for: .milliseconds(300))
        #expect(await eventually { clock.sleepers == [start.advanced(by: .milliseconds(300))] })
        w.wake(within: .seconds(10))
        #expect(clock.sleepers == [start.advanced(by: .milliseconds(300))], "a wake later than the sleep's end changes nothing")
        clock.advance(by: .milliseconds(300))
        #expect(await eventually { s.hasEnded })
        // A wake sooner than the end does cut it: an hour's sleep, woken within 1 ms.
        let woken = clock.now
        let long = Sleep(w, for: .seconds(3600))
        #expect(await eventually { clock.sleepers == [woken.advanced(by: .seconds(3600))] })
        w.wake(within: .milliseconds(1))
        #expect(await eventually { clock.sleepers == [woken.advanced(by: .milliseconds(1))] }, "\(clock.sleepers)")
        clock.advance(by: .milliseconds(1))
        #expect(await eventually { long.hasEnded })
    }

    /// The desk wakes the deadline loop "within a second" after every batch it journals, while the loop sleeps
    /// a minute: the loop must wake once, a second later, not at once for every batch (which cost one client
    /// two thread wakes and a visit to the desk per report).
    @Test func wakesWithinADurationWhileAsleepEndTheSleepOnceThatDurationLater() async {
        let clock = ManualClock()
        let w = Wakeup(clock: clock)
        let s = Sleep(w, for: .seconds(3600))
        #expect(await eventually { clock.sleepers.count == 1 })
        let firstWake = clock.now
        // A stream of batches, one every 10 ms, each asking for a wake within 400 ms.
        for _ in 0..<30 {
            w.wake(within: .milliseconds(400))
            clock.advance(by: .milliseconds(10))
        }
        let end = firstWake.advanced(by: .milliseconds(400))
        #expect(await eventually { clock.sleepers == [end] }, "one sleep towards the first wake's 400 ms: \(clock.sleepers)")
        clock.advance(by: .milliseconds(99))
        #expect(clock.sleepers == [end] && !s.hasEnded, "a wake within 400 ms ended the sleep early")
        clock.advance(by: .milliseconds(1))
        #expect(await eventually { s.hasEnded })
    }
}
