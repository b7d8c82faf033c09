import CSystemd

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
