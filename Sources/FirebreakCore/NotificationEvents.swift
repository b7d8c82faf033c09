/// Events of the outbox: a notification asked for, delivered, failed, and a one-tap link in one used.

/// Someone is to be told; the notifier delivers it and journals how that went.
public struct NotificationRequested: Sendable, Hashable {
    static let type = EventType.notification
    public var incident: String
    /// `INC-4.n3`: the incident and its count of notifications, the outbox's key.
    public var id: String
    public var to: String
    public var kind: NotificationKind
    public var step: String?
    public var reason: String?
    /// How many people in a row were unreachable before this one was asked.
    public var hops: Int64?
    /// The notification that could not be delivered, when this one is about it.
    public var about: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let id = r.string("id"), let to = r.string("to"),
              let kind = r.string("kind") else { return nil }
        self.init(incident: incident, id: id, to: to, kind: NotificationKind(rawValue: kind), step: r.string("step"),
                  reason: r.string("reason"))
        hops = r.int("hops")
        about = r.string("about")
    }

    init(incident: String, id: String, to: String, kind: NotificationKind, step: String?, reason: String?) {
        self.incident = incident
        self.id = id
        self.to = to
        self.kind = kind
        self.step = step
        self.reason = reason
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("id", id)
        w.put("to", to)
        w.put("kind", kind.rawValue)
        w.put("step", step)
        w.put("reason", reason)
        w.put("hops", hops)
        w.put("about", about)
    }
}

public struct NotificationSent: Sendable, Hashable {
    static let type = EventType.notificationSent
    public var incident: String
    public var id: String
    public var to: String?
    public var channel: String?
    public var attempt: Int64?
    /// Sent together with others in one message, under this id.
    public var digest: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let id = r.string("id") else { return nil }
        self.incident = incident
        self.id = id
        to = r.string("to")
        channel = r.string("channel")
        attempt = r.int("attempt")
        digest = r.string("digest")
    }

    init(incident: String, id: String, to: String, channel: String, attempt: Int64, digest: String?) {
        self.incident = incident
        self.id = id
        self.to = to
        self.channel = channel
        self.attempt = attempt
        self.digest = digest
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("id", id)
        w.put("to", to)
        w.put("channel", channel)
        w.put("attempt", attempt)
        w.put("digest", digest)
    }
}

/// An attempt failed on every channel: tried again at `retryAt`, or (`final`) the person is unreachable and
/// `escalatedTo` hears instead.
public struct NotificationFailed: Sendable, Hashable {
    static let type = EventType.notificationFailed
    public var incident: String
    public var id: String
    public var to: String?
    public var attempt: Int64?
    public var error: String?
    public var retryAt: Timestamp?
    public var final = false
    /// Only for a final failure; nil when nobody more is asked: the v1 line says `null`.
    public var escalatedTo: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let id = r.string("id") else { return nil }
        self.incident = incident
        self.id = id
        to = r.string("to")
        attempt = r.int("attempt")
        error = r.string("error")
        retryAt = r.time("retry_at")
        final = r.bool("final") == true
        escalatedTo = r.string("escalated_to")
    }

    init(incident: String, id: String, to: String, attempt: Int64, error: String, retryAt: Timestamp?, escalatedTo: String? = nil) {
        self.incident = incident
        self.id = id
        self.to = to
        self.attempt = attempt
        self.error = error
        self.retryAt = retryAt
        final = retryAt == nil
        self.escalatedTo = escalatedTo
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("id", id)
        w.put("to", to)
        w.put("attempt", attempt)
        w.put("error", error)
        w.put("retry_at", retryAt)
        w.flag("final", final)
        if final { w.putOrNull("escalated_to", escalatedTo) }
    }
}

/// A one-tap link in a notification was used (the web page, Mattermost's button).
public struct NotificationLinkUsed: Sendable, Hashable {
    static let type = EventType.notificationLinkUsed
    public var incident: String
    public var step: String?
    public var notification: String?
    /// `ack` or `done`.
    public var verb: String?
    /// `web`, `mattermost`.
    public var via: String?
    /// Whether the action changed anything (it had been done already otherwise).
    public var changed: Bool?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        step = r.string("step")
        notification = r.string("notification")
        verb = r.string("verb")
        via = r.string("via")
        changed = r.bool("changed")
    }

    public init(incident: String, step: String?, notification: String, verb: String, via: String, changed: Bool) {
        self.incident = incident
        self.step = step
        self.notification = notification
        self.verb = verb
        self.via = via
        self.changed = changed
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.put("notification", notification)
        w.put("verb", verb)
        w.put("via", via)
        w.put("changed", changed)
    }
}
