import FirebreakCore
import FirebreakUnix
#if canImport(Glibc)
import Glibc
#endif

/// The desk's one-shot deadline timer, and the only thing that fires deadlines: a timerfd in the desk's own
/// `epoll`, armed after every batch for the soonest deadline, so no other thread stands between a deadline and
/// its batch. The desk also arms it for the journal's timed checkpoint when that comes first (the desk is the
/// journal's writer). Never armed more than `longestWait` ahead: the timer counts on the monotonic clock and deadlines
/// are wall-clock times, so a step of the wall clock (NTP, a suspend) is noticed within that. It owns its
/// descriptor; the desk unwatches it and closes it with `close`.
struct DeadlineTimer: Sendable {
    let descriptor: Int32
    /// The deadline it is armed for; nil: disarmed, or to be armed afresh.
    private var due: Timestamp?
    static let longestWait = TimeSpan.seconds(60)

    /// Throws when the kernel gives no timerfd (no descriptors left): without it no deadline would fire.
    init() throws(DaemonError) {
        descriptor = PollTimer.createOnce()
        guard descriptor >= 0 else { throw DaemonError(.startup, "no timer for deadlines (timerfd_create): \(String(cString: strerror(errno)))") }
    }

    /// Arms the timer for `next` (nil: disarms it), no sooner than `notBefore` and no later than `longestWait`
    /// from `now`. Nothing to do when it is armed for `next` already.
    mutating func arm(for next: Timestamp?, notBefore: Timestamp?, now: Timestamp) {
        guard next != due else { return }
        due = next
        guard let next else {
            PollTimer.disarm(descriptor)
            return
        }
        let at = min(max(next, notBefore ?? next), now + Self.longestWait)
        PollTimer.arm(descriptor, afterNanoseconds: (at.millisecondsSinceEpoch - now.millisecondsSinceEpoch) * 1_000_000)
    }

    /// It fired (for its deadline, or at `longestWait`): the next `arm` sets it again even for the same deadline.
    mutating func forget() {
        due = nil
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
