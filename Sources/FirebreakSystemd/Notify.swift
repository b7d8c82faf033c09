import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3): tells the service manager about start-up, status, the watchdog and shutdown.
///
/// A no-op when `NOTIFY_SOCKET` is unset (started by hand), which is why callers need not check.
public enum SystemdNotify {
    /// Sends `state` (newline-separated `KEY=value` assignments). Returns false when no manager is listening.
    @discardableResult
    public static func send(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    public static func ready(status: String? = nil) {
        send("READY=1" + (status.map { "\nSTATUS=" + $0 } ?? ""))
    }

    public static func status(_ text: String) {
        send("STATUS=" + text)
    }

    public static func stopping(status: String? = nil) {
        send("STOPPING=1" + (status.map { "\nSTATUS=" + $0 } ?? ""))
    }
}

/// sd_watchdog_enabled(3): how often systemd expects WATCHDOG=1, when it watches us at all.
public enum SystemdWatchdog {
    /// The interval in microseconds (WATCHDOG_USEC), or nil when no watchdog is configured for this process.
    public static func intervalMicroseconds() -> UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? usec : nil
    }

    public static func ping() { SystemdNotify.send("WATCHDOG=1") }
}

/// CLOCK_MONOTONIC in microseconds, for RELOADING=1's MONOTONIC_USEC.
public func monotonicMicroseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
}
