/// Something that happened, as the engine decides it and the journal records it. The engine applies each event
/// to the state as it decides (`Engine.handle`), the desk journals the batch, and takes the batch back with its
/// `EngineUndo` if the journal could not make it durable; a replay applies the same events read back. Nothing
/// applies an event twice.
///
/// Events are typed: one struct per kind of record, in `IncidentEvents.swift`, `StepEvents.swift`,
/// `NotificationEvents.swift` and `IntakeEvents.swift`. They become the journal's v1 JSON only at the journal's
/// boundary (`EventCoding.swift`), and the bytes are exactly those the JSON-bag events wrote before them.
public struct Event: Sendable, Hashable {
    public var time: Timestamp
    public var actor: String
    public var body: Body

    public init(time: Timestamp, actor: String, _ body: Body) {
        self.time = time
        self.actor = actor
        self.body = body
    }

    public enum Body: Sendable, Hashable {
        case reportReceived(ReportReceived)
        case incidentOpened(IncidentOpened)
        case severityRaised(SeverityRaised)
        case incidentAcknowledged(IncidentAcknowledged)
        case ackMissed(AckMissed)
        case incidentResolved(IncidentResolved)
        case incidentClosed(IncidentClosed)
        case incidentReopened(IncidentReopened)
        case note(IncidentNote)
        case stepReady(StepReady)
        case stepAcknowledged(StepAcknowledged)
        case stepDone(StepDone)
        case stepSkipped(StepSkipped)
        case stepAssigned(StepAssigned)
        case stepReminded(StepReminded)
        case stepMissed(StepMissed)
        case escalation(EscalationTriggered)
        case notificationRequested(NotificationRequested)
        case notificationSent(NotificationSent)
        case notificationFailed(NotificationFailed)
        case notificationLinkUsed(NotificationLinkUsed)
        case reportRejected(ReportRejected)
        case rosterOverride(RosterOverride)
        /// A record of a type the engine does not model (the daemon's lifecycle records, a newer daemon's types),
        /// or of a known type without the members that type needs: kept as the journal holds it, and applying it
        /// changes nothing.
        case other(type: String, data: JSONValue)
    }

    /// The incident the event is about, if any.
    public var incident: String? {
        switch body {
        case .reportReceived(let e): e.incident
        case .incidentOpened(let e): e.incident
        case .severityRaised(let e): e.incident
        case .incidentAcknowledged(let e): e.incident
        case .ackMissed(let e): e.incident
        case .incidentResolved(let e): e.incident
        case .incidentClosed(let e): e.incident
        case .incidentReopened(let e): e.incident
        case .note(let e): e.incident
        case .stepReady(let e): e.incident
        case .stepAcknowledged(let e): e.incident
        case .stepDone(let e): e.incident
        case .stepSkipped(let e): e.incident
        case .stepAssigned(let e): e.incident
        case .stepReminded(let e): e.incident
        case .stepMissed(let e): e.incident
        case .escalation(let e): e.incident
        case .notificationRequested(let e): e.incident
        case .notificationSent(let e): e.incident
        case .notificationFailed(let e): e.incident
        case .notificationLinkUsed(let e): e.incident
        case .reportRejected, .rosterOverride: nil
        case .other(_, let data): data["incident"]?.stringValue
        }
    }

    /// The step the event is about, if any.
    public var step: String? {
        switch body {
        case .stepReady(let e): e.step
        case .stepAcknowledged(let e): e.step
        case .stepDone(let e): e.step
        case .stepSkipped(let e): e.step
        case .stepAssigned(let e): e.step
        case .stepReminded(let e): e.step
        case .stepMissed(let e): e.step
        case .escalation(let e): e.step
        case .notificationRequested(let e): e.step
        case .notificationLinkUsed(let e): e.step
        case .other(_, let data): data["step"]?.stringValue
        default: nil
        }
    }
}

/// The event types' names in the journal (docs/journal-format.md lists their data).
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
    public static let notificationLinkUsed = "notification.link_used"
    public static let reportRejected = "report.rejected"
    public static let rosterOverride = "roster.override"
}

/// What a notification is about. Open, not a closed enum: a journal written by a newer daemon may hold kinds
/// this one does not know, and they are delivered with the generic wording rather than refused.
public struct NotificationKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let stepAssigned = NotificationKind(rawValue: "step.assigned")
    public static let stepReminder = NotificationKind(rawValue: "step.reminder")
    public static let stepMissed = NotificationKind(rawValue: "step.missed")
    public static let escalation = NotificationKind(rawValue: "escalation")
    public static let ackOverdue = NotificationKind(rawValue: "incident.ack_overdue")
    public static let resolved = NotificationKind(rawValue: "incident.resolved")
    public static let unreachable = NotificationKind(rawValue: "notification.unreachable")
}
