import Synchronization

/// Lets a loop (the status line, notifications) sleep until it next has work, yet wake at once when the desk makes
/// work due sooner.
///
/// A lock, not an actor: the desk calls `wake` after every batch it journals, synchronously, and must not hop
/// threads for it; a wake for a deadline later than the one the loop already sleeps towards does not wake it.
final class Wakeup<C: Clock>: Sendable where C.Duration == Duration {
    private struct Sleeping {
        /// Set by a wake while nobody sleeps: the next sleep ends by then (at once for a wake without `within`).
        /// Kept as an instant, not a flag: with a flag every batch's wake would cut the status loop's next
        /// sleep to nothing, and under a steady stream it would go round once per batch.
        var pendingBy: C.Instant?
        var sleeper: Task<Void, any Error>?
        /// When the sleeper wakes anyway.
        var until: C.Instant?
        /// A wake `within` cut the sleep short to this instant: the sleeper sleeps on until then.
        var shortenedTo: C.Instant?
    }

    private let sleeping = Mutex(Sleeping())
    /// The clock it sleeps on: the continuous clock in the daemon, a manual one in its tests.
    let clock: C

    init(clock: C) {
        self.clock = clock
    }

    /// Sleeps for `duration`, or less if `wake` is called meanwhile (or was called since the last sleep).
    func sleep(for duration: Duration) async {
        var until = clock.now.advanced(by: duration)
        while true {
            let task: Task<Void, any Error>? = sleeping.withLock { s in
                if let by = s.pendingBy {
                    until = min(until, by)
                    s.pendingBy = nil
                }
                if until <= clock.now { return nil }
                let task = Task { [until, clock] in try await clock.sleep(until: until, tolerance: nil) }
                s.sleeper = task
                s.until = until
                return task
            }
            guard let task else { break }
            // The sleep is its own task (so `wake` can cancel it); cancelling the caller must cancel it too, or a
            // graceful stop would wait out the whole sleep.
            await withTaskCancellationHandler {
                _ = await task.result
            } onCancel: {
                task.cancel()
            }
            // Cut short to a later instant: sleep on until it (a wake within a second must not end a minute's sleep
            // now, or every report would cost the status loop a turn: one client, two thread wakes and a visit
            // to the desk per report).
            let later: C.Instant? = sleeping.withLock { s in
                defer { s.shortenedTo = nil }
                s.sleeper = nil
                s.until = nil
                return s.shortenedTo
            }
            guard let later, !Task.isCancelled else { break }
            until = later
        }
        sleeping.withLock { s in
            s.sleeper = nil
            s.until = nil
            s.pendingBy = nil
        }
    }

    /// Makes the sleeper wake within `within` (nil: now) if it would sleep longer. A wake while the loop is
    /// awake is kept for its next sleep: what it is doing may have read the state before this change. A sleeper
    /// cut short to a later instant is woken once to sleep towards it, and later wakes within the same duration
    /// find it sleeping no longer than they ask and leave it alone.
    func wake(within: Duration? = nil) {
        sleeping.withLock { s in
            let by = clock.now.advanced(by: within ?? .zero)
            guard let sleeper = s.sleeper, let until = s.until else {
                s.pendingBy = min(s.pendingBy ?? by, by)
                return
            }
            if until <= by { return }
            sleeper.cancel()
            s.sleeper = nil
            s.until = nil
            // A sleeper is only installed once an earlier shortening was taken, so there is none to keep.
            s.shortenedTo = within == nil ? nil : by
        }
    }
}
