/// Something that happened, as the engine decides it and the journal records it: the engine turns commands
/// into events, the journal makes them durable, and only then are they applied to the state.
public struct Event: Sendable, Hashable {
    public var time: Timestamp
    public var type: String
    public var actor: String
    public var data: JSONValue
    /// The plan of an `incident.opened` event the engine made, as the object `data.plan` was made from and as
    /// its bytes: applying the event does not decode `data.plan` again, nor does the journal write it again.
    /// Not part of `==`: events read back from the journal have none and decode `data.plan`.
    var recorded: RecordedPlan?

    /// A member of `data` already written as JSON (`JSONWriter.write(data[key])`), for the journal to copy.
    public var writtenMember: (key: String, bytes: [UInt8])? { recorded.map { (RecordedPlan.key, $0.written) } }

    public init(time: Timestamp, type: String, actor: String, data: JSONValue) {
        self.time = time
        self.type = type
        self.actor = actor
        self.data = data
    }

    init(time: Timestamp, type: String, actor: String, data: JSONValue, recorded: RecordedPlan) {
        self.init(time: time, type: type, actor: actor, data: data)
        self.recorded = recorded
    }

    public static func == (a: Event, b: Event) -> Bool {
        a.time == b.time && a.type == b.type && a.actor == b.actor && a.data == b.data
    }

    public func hash(into h: inout Hasher) {
        h.combine(time)
        h.combine(type)
        h.combine(actor)
        h.combine(data)
    }

    public var incident: String? { data["incident"]?.stringValue }
    public var step: String? { data["step"]?.stringValue }
}

/// The event types the engine writes (docs/journal-format.md lists their data).
public enum EventType {
    public static let reportReceived = "report.received"
    public static let incidentOpened = "incident.opened"
    public static let severityRaised = "incident.severity_raised"
    public static let incidentAcknowledged = "incident.acknowledged"
    public static let ackMissed = "incident.ack_missed"
    public static let incidentResolved = "incident.resolved"
    public static let incidentClosed = "incident.closed"
    public static let incidentReopened = "incident.reopened"
    public static let note = "incident.note"
    public static let stepReady = "step.ready"
    public static let stepAcknowledged = "step.acknowledged"
    public static let stepDone = "step.done"
    public static let stepSkipped = "step.skipped"
    public static let stepAssigned = "step.assigned"
    public static let stepReminded = "step.reminded"
    public static let stepMissed = "step.missed"
    public static let escalation = "escalation.triggered"
    public static let notification = "notification.requested"
    public static let notificationSent = "notification.sent"
    public static let notificationFailed = "notification.failed"
    /// A one-tap link in a notification was used: `incident`, `step`, `notification`, `verb`, `via` (web, mattermost).
    public static let notificationLinkUsed = "notification.link_used"
    /// A spool file refused by the daemon's intake (no incident; `file`, `owner`, `field`, `reason`).
    public static let reportRejected = "report.rejected"
    /// A person put on a role until a time (`firebreak override`): `role`, `person`, `from`, `until`, `reason`.
    public static let rosterOverride = "roster.override"
}
