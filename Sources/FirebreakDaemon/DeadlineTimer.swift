import FirebreakCore
import FirebreakUnix
#if canImport(Glibc)
import Glibc
#endif

/// The desk's one-shot deadline timer: a timerfd in the desk's own `epoll`, armed for the soonest deadline after
/// every batch. It owns its descriptor (closed with the desk). Made the first time it is armed. If none can be made (no descriptors
/// left), `fires` stays false and the deadline loop fires deadlines instead.
struct DeadlineTimer: Sendable {
    private enum State: Sendable {
        case notMade
        case unavailable
        case made(fd: Int32)
    }

    private var state = State.notMade
    /// What it is armed for; nil: disarmed, or to be armed afresh.
    private var due: Timestamp?

    /// Whether deadlines fire from this timer (otherwise the deadline loop fires them).
    var fires: Bool {
        if case .made = state { return true }
        return false
    }

    /// Arms the timer for `next` (nil: disarms it), no sooner than `notBefore`. The first call makes the timer
    /// and gives its descriptor to `watch`, which returns whether the executor took it; what went wrong is
    /// returned, for the log, when no timer could be made.
    mutating func arm(for next: Timestamp?, notBefore: Timestamp?, now: Timestamp, watch: (Int32) -> Bool) -> String? {
        var problem: String?
        if case .notMade = state {
            let fd = PollTimer.createOnce()
            if fd >= 0, watch(fd) {
                state = .made(fd: fd)
            } else {
                problem = String(cString: strerror(errno))
                if fd >= 0 { Glibc.close(fd) }
                state = .unavailable
            }
        }
        guard case .made(let fd) = state, next != due else { return problem }
        due = next
        guard let next else {
            _ = PollTimer.disarm(fd)
            return problem
        }
        let at = max(next, notBefore ?? next)
        _ = PollTimer.arm(fd, afterNanoseconds: (at.millisecondsSinceEpoch - now.millisecondsSinceEpoch) * 1_000_000)
        return problem
    }

    /// It fired, or must be armed afresh (the wall clock may have stepped since): the next `arm` sets it again
    /// even for the same deadline.
    mutating func forget() {
        due = nil
    }

    /// The timerfd, once made: its owner's deinit unwatches and closes it.
    var descriptor: Int32? {
        if case .made(let fd) = state { return fd }
        return nil
    }
}
