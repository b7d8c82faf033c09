/// The commands' fields, one struct per `Command` case, and a builder for each with the case's own labels.
extension Command {
    /// A report handed in. `key` identifies the submission (a spool file, a request id) so that the same one is
    /// never applied twice.
    public struct Submission: Sendable, Hashable {
        public var report: Report
        public var key: String?
    }

    public struct Acknowledge: Sendable, Hashable {
        public var incident: String
    }

    public struct AcknowledgeStep: Sendable, Hashable {
        public var incident: String
        public var step: String
    }

    public struct CompleteStep: Sendable, Hashable {
        public var incident: String
        public var step: String
        public var note: String?
    }

    public struct SkipStep: Sendable, Hashable {
        public var incident: String
        public var step: String
        public var reason: String
    }

    public struct AssignStep: Sendable, Hashable {
        public var incident: String
        public var step: String
        public var to: String
    }

    /// `step` nil: the incident as a whole, to the manager of its first step's role.
    public struct Escalate: Sendable, Hashable {
        public var incident: String
        public var step: String?
        public var reason: String
    }

    /// With steps still open it is refused unless `abandonOpenSteps`: then each open step is recorded as
    /// abandoned (a skip saying so), and the post-mortem lists it, rather than staying "ready" forever.
    public struct Resolve: Sendable, Hashable {
        public var incident: String
        public var summary: String
        public var abandonOpenSteps: Bool
    }

    public struct Close: Sendable, Hashable {
        public var incident: String
        public var reason: String?
    }

    public struct Reopen: Sendable, Hashable {
        public var incident: String
        public var reason: String
    }

    public struct Note: Sendable, Hashable {
        public var incident: String
        public var text: String
    }

    /// The notifier reached the person (`digest`: sent together with others, under this id).
    public struct Delivered: Sendable, Hashable {
        public var notification: String
        public var channel: String
        public var digest: String?
    }

    /// An attempt failed on every channel; `retryAt` nil: the last attempt, the person is unreachable.
    public struct DeliveryFailed: Sendable, Hashable {
        public var notification: String
        public var attempt: Int
        public var error: String
        public var retryAt: Timestamp?
    }

    /// `person` holds `role` from now until `until` (a swap, sickness, a holiday), over the roster's rotation;
    /// journaled, so it holds across restarts and reloads and is in the record.
    public struct OverrideRole: Sendable, Hashable {
        public var role: String
        public var person: String
        public var until: Timestamp
        public var reason: String?
    }

    public static func report(_ report: Report, key: String?) -> Command {
        .report(Submission(report: report, key: key))
    }

    public static func acknowledge(incident: String) -> Command {
        .acknowledge(Acknowledge(incident: incident))
    }

    public static func acknowledgeStep(incident: String, step: String) -> Command {
        .acknowledgeStep(AcknowledgeStep(incident: incident, step: step))
    }

    public static func completeStep(incident: String, step: String, note: String?) -> Command {
        .completeStep(CompleteStep(incident: incident, step: step, note: note))
    }

    public static func skipStep(incident: String, step: String, reason: String) -> Command {
        .skipStep(SkipStep(incident: incident, step: step, reason: reason))
    }

    public static func assignStep(incident: String, step: String, to: String) -> Command {
        .assignStep(AssignStep(incident: incident, step: step, to: to))
    }

    public static func escalate(incident: String, step: String?, reason: String) -> Command {
        .escalate(Escalate(incident: incident, step: step, reason: reason))
    }

    public static func resolve(incident: String, summary: String, abandonOpenSteps: Bool = false) -> Command {
        .resolve(Resolve(incident: incident, summary: summary, abandonOpenSteps: abandonOpenSteps))
    }

    public static func close(incident: String, reason: String?) -> Command {
        .close(Close(incident: incident, reason: reason))
    }

    public static func reopen(incident: String, reason: String) -> Command {
        .reopen(Reopen(incident: incident, reason: reason))
    }

    public static func note(incident: String, text: String) -> Command {
        .note(Note(incident: incident, text: text))
    }

    public static func delivered(notification: String, channel: String, digest: String?) -> Command {
        .delivered(Delivered(notification: notification, channel: channel, digest: digest))
    }

    public static func deliveryFailed(notification: String, attempt: Int, error: String, retryAt: Timestamp?) -> Command {
        .deliveryFailed(DeliveryFailed(notification: notification, attempt: attempt, error: error, retryAt: retryAt))
    }

    public static func overrideRole(role: String, person: String, until: Timestamp, reason: String?) -> Command {
        .overrideRole(OverrideRole(role: role, person: person, until: until, reason: reason))
    }
}
