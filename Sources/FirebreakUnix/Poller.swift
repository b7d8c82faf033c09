import CUnixSocket
#if canImport(Glibc)
import Glibc
#endif

/// An epoll instance with an eventfd to wake it: one thread waits here both for work handed to it by other
/// threads and for descriptors becoming ready. Written by hand over a few system calls: swift-nio's event loop
/// would do this, but it cannot read SO_PEERCRED or SCM_RIGHTS on a stream socket (see `UnixSocket`), and the
/// desk's and the socket's threads must also be Swift `TaskExecutor`s, which NIO's loops are not.
public final class Poller: @unchecked Sendable {
    public struct Events: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: FB_POLL_IN)
        public static let writable = Events(rawValue: FB_POLL_OUT)
        public static let error = Events(rawValue: FB_POLL_ERR)
        public static let hangUp = Events(rawValue: FB_POLL_HUP)
        public static let peerClosed = Events(rawValue: FB_POLL_RDHUP)
        /// Edge-triggered: reported once per change, so the reader must read until EAGAIN.
        public static let edge = Events(rawValue: FB_POLL_EDGE)
    }

    private let ep: Int32
    private let wakeFD: Int32
    /// What `epoll_wait` fills in, kept between waits: `wait` runs several times a report on the socket's thread,
    /// and two arrays a call were two allocations each time. Only the one waiting thread touches them.
    private let readyFDs = UnsafeMutablePointer<Int32>.allocate(capacity: Poller.batch)
    private let readyEvents = UnsafeMutablePointer<UInt32>.allocate(capacity: Poller.batch)
    private static let batch = 64

    public init() throws(PollerError) {
        ep = fb_poll_create()
        guard ep >= 0 else { throw PollerError(what: "epoll_create1", errno: errno) }
        wakeFD = fb_event_create()
        guard wakeFD >= 0 else {
            let e = errno
            close(ep)
            throw PollerError(what: "eventfd", errno: e)
        }
        guard fb_poll_watch(ep, wakeFD, FB_POLL_IN) == 0 else {
            let e = errno
            close(ep)
            close(wakeFD)
            throw PollerError(what: "epoll_ctl", errno: e)
        }
    }

    deinit {
        close(ep)
        close(wakeFD)
        readyFDs.deallocate()
        readyEvents.deallocate()
    }

    /// Starts (or changes) watching `fd`. False with errno set when the kernel refuses.
    @discardableResult
    public func watch(_ fd: Int32, for events: Events) -> Bool { fb_poll_watch(ep, fd, events.rawValue) == 0 }

    public func unwatch(_ fd: Int32) { _ = fb_poll_unwatch(ep, fd) }

    /// Ends a `wait` in progress, or the next one, from any thread.
    public func wake() { fb_event_signal(wakeFD) }

    /// Waits up to `timeoutMilliseconds` (-1: until something happens) and calls `ready` for each descriptor
    /// that is (the wake-up itself is consumed here). Returns false on an error other than EINTR.
    public func wait(timeoutMilliseconds: Int32, _ ready: (Int32, Events) -> Void) -> Bool {
        let n = fb_poll_wait(ep, readyFDs, readyEvents, Int32(Self.batch), timeoutMilliseconds)
        if n < 0 { return false }
        for i in 0..<Int(n) {
            if readyFDs[i] == wakeFD { fb_event_drain(wakeFD) } else { ready(readyFDs[i], Events(rawValue: readyEvents[i])) }
        }
        return true
    }
}

/// A periodic timer as a descriptor, for a `Poller`.
public enum PollTimer {
    /// A timer firing every `milliseconds`, or -1 (errno).
    public static func create(everyMilliseconds milliseconds: Int) -> Int32 { fb_timer_create(milliseconds) }
    /// Reads the expirations, so that the timer is no longer ready.
    public static func drain(_ fd: Int32) { fb_timer_drain(fd) }
    /// A one-shot timer, not yet running, or -1 (errno).
    public static func createOnce() -> Int32 { fb_timer_create_once() }
    /// Makes a one-shot timer fire once after `nanoseconds` (at once for 0 or less), replacing an earlier arming.
    @discardableResult
    public static func arm(_ fd: Int32, afterNanoseconds nanoseconds: Int64) -> Bool { fb_timer_arm_once(fd, nanoseconds) == 0 }
    @discardableResult
    public static func disarm(_ fd: Int32) -> Bool { fb_timer_disarm(fd) == 0 }
    /// Nanoseconds until the timer fires (0: disarmed), or -1 (errno): what the kernel holds, for tests and logs.
    public static func remainingNanoseconds(_ fd: Int32) -> Int64 { fb_timer_remaining_ns(fd) }
}

/// The calling thread's name as the kernel shows it to an operator (`top -H`, `ps -L`, /proc/PID/task/*/comm):
/// Foundation's `Thread.name` stays inside Foundation on Linux. At most 15 bytes are kept.
public enum ThreadName {
    public static func set(_ name: String) {
        _ = fb_thread_set_name(name)
    }
}

extension UnixSocket {
    /// `accept4` with a non-blocking, close-on-exec result, or -1 (errno; EAGAIN when nobody is waiting).
    public static func acceptNonBlocking(_ listenFD: Int32) -> Int32 { fb_accept_nonblocking(listenFD) }
}

public struct PollerError: Error, CustomStringConvertible {
    public let what: String
    public let errno: Int32
    public var description: String { "\(what) failed: \(String(cString: strerror(errno)))" }
}
