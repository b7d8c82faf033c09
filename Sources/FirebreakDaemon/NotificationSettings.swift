import FirebreakCore
import Foundation
import Yams

/// How notifications are delivered: the `notifications:` section of the daemon's configuration. People's
/// channels and addresses are in the roster (`contacts`, in order of preference); this says how to reach them.
public struct NotificationSettings: Sendable, Equatable {
    /// Per attempt and channel: a webhook, an SMTP conversation, a command.
    public var timeoutSeconds = 10.0
    /// Attempts before the person counts as unreachable (and their backup is told).
    public var maxAttempts = 6
    /// Back-off: the wait after attempt n is base × 2^(n-1), at most `backoffMaxSeconds`, ±20 % jitter.
    public var backoffSeconds = 30.0
    public var backoffMaxSeconds = 3600.0
    /// Notifications for one person within this window after one was sent go together in one digest.
    public var digestSeconds = 30.0
    public var emailFrom = "firebreak@localhost"
    /// `sendmail -t` program; used for email when no SMTP relay is set.
    public var sendmail = "/usr/sbin/sendmail"
    /// An SMTP relay `host:port`; when set, email goes there instead of through sendmail.
    public var smtp: String?
    /// Command hooks by contact channel (`phone: /usr/local/bin/sms-gateway`): run with the notification as JSON
    /// on standard input.
    public var commands: [String: String] = [:]
    /// A directory of `.mustache` templates that replace the built-in ones (subject, message, digest).
    public var templates: String?
    /// The web pages' address, for links in messages.
    public var webURL: String?

    public init() {}

    static let keys = ["timeout_seconds", "max_attempts", "backoff_seconds", "backoff_max_seconds", "digest_seconds", "email_from",
                       "sendmail", "smtp", "commands", "templates", "web_url"]

    /// Reads the section; `place` names the file for messages.
    static func parse(_ node: Node, file: String) throws(DaemonError) -> NotificationSettings {
        var s = NotificationSettings()
        guard let mapping = node.mapping else {
            throw DaemonError(.configuration, "\(file):\(node.mark?.line ?? 0): notifications must be a mapping (\(keys.joined(separator: ", ")))")
        }
        for (k, v) in mapping {
            let key = k.string ?? ""
            let place = "\(file):\(k.mark?.line ?? 0): notifications.\(key)"
            func number(_ min: Double) throws(DaemonError) -> Double {
                guard let n = v.string.flatMap(Double.init), n >= min else { throw DaemonError(.configuration, "\(place) must be a number of at least \(min)") }
                return n
            }
            func text() throws(DaemonError) -> String {
                guard let t = v.string, !t.isEmpty else { throw DaemonError(.configuration, "\(place) needs a value") }
                return t
            }
            switch key {
            case "timeout_seconds": s.timeoutSeconds = try number(0.01)
            case "max_attempts": s.maxAttempts = Int(try number(1))
            case "backoff_seconds": s.backoffSeconds = try number(0)
            case "backoff_max_seconds": s.backoffMaxSeconds = try number(0)
            case "digest_seconds": s.digestSeconds = try number(0)
            case "email_from": s.emailFrom = try text()
            case "sendmail": s.sendmail = try text()
            case "smtp":
                let t = try text()
                guard t.split(separator: ":").count == 2, Int(t.split(separator: ":")[1]) != nil else {
                    throw DaemonError(.configuration, "\(place) must be host:port (127.0.0.1:25)")
                }
                s.smtp = t
            case "templates": s.templates = try text()
            case "web_url": s.webURL = try text()
            case "commands":
                guard let m = v.mapping else { throw DaemonError(.configuration, "\(place) must map channels to programs (phone: /usr/local/bin/sms)") }
                for (ck, cv) in m {
                    guard let channel = ck.string, let program = cv.string, program.hasPrefix("/") else {
                        throw DaemonError(.configuration, "\(place).\(ck.string ?? "?") must be an absolute path to a program")
                    }
                    s.commands[channel] = program
                }
            default:
                throw DaemonError(.configuration, "\(file):\(k.mark?.line ?? 0): unknown key \"notifications.\(key)\"; known: \(keys.joined(separator: ", "))")
            }
        }
        return s
    }

    /// The wait before attempt `attempt + 1`, with ±20 % jitter (`unit` in 0..<1 is the random part).
    public func backoff(afterAttempt attempt: Int, unit: Double) -> TimeSpan {
        let base = min(backoffMaxSeconds, backoffSeconds * pow(2, Double(max(0, attempt - 1))))
        let jittered = base * (0.8 + 0.4 * unit)
        return TimeSpan(milliseconds: Int64(jittered * 1000))
    }
}
