/// The journal's v1 lines and typed events meet here and nowhere else: `Event.data` and `Event.type` are what the
/// journal writes, `Event(time:type:actor:data:)` what it reads back. Keys are written sorted (`JSONWriter`), so
/// an event gives the same bytes as the JSON objects the engine built before events were typed; the golden
/// journals and the independent reader check that.
extension Event {
    /// The record's `type`.
    public var type: String {
        switch body {
        case .reportReceived: ReportReceived.type
        case .incidentOpened: IncidentOpened.type
        case .severityRaised: SeverityRaised.type
        case .incidentAcknowledged: IncidentAcknowledged.type
        case .ackMissed: AckMissed.type
        case .incidentResolved: IncidentResolved.type
        case .incidentClosed: IncidentClosed.type
        case .incidentReopened: IncidentReopened.type
        case .note: IncidentNote.type
        case .stepReady: StepReady.type
        case .stepAcknowledged: StepAcknowledged.type
        case .stepDone: StepDone.type
        case .stepSkipped: StepSkipped.type
        case .stepAssigned: StepAssigned.type
        case .stepReminded: StepReminded.type
        case .stepMissed: StepMissed.type
        case .escalation: EscalationTriggered.type
        case .notificationRequested: NotificationRequested.type
        case .notificationSent: NotificationSent.type
        case .notificationFailed: NotificationFailed.type
        case .notificationLinkUsed: NotificationLinkUsed.type
        case .reportRejected: ReportRejected.type
        case .rosterOverride: RosterOverride.type
        case .other(let type, _): type
        }
    }

    /// The record's `data`.
    public var data: JSONValue {
        var w = V1Members()
        switch body {
        case .reportReceived(let e): e.write(&w)
        case .incidentOpened(let e): e.write(&w)
        case .severityRaised(let e): e.write(&w)
        case .incidentAcknowledged(let e): e.write(&w)
        case .ackMissed(let e): e.write(&w)
        case .incidentResolved(let e): e.write(&w)
        case .incidentClosed(let e): e.write(&w)
        case .incidentReopened(let e): e.write(&w)
        case .note(let e): e.write(&w)
        case .stepReady(let e): e.write(&w)
        case .stepAcknowledged(let e): e.write(&w)
        case .stepDone(let e): e.write(&w)
        case .stepSkipped(let e): e.write(&w)
        case .stepAssigned(let e): e.write(&w)
        case .stepReminded(let e): e.write(&w)
        case .stepMissed(let e): e.write(&w)
        case .escalation(let e): e.write(&w)
        case .notificationRequested(let e): e.write(&w)
        case .notificationSent(let e): e.write(&w)
        case .notificationFailed(let e): e.write(&w)
        case .notificationLinkUsed(let e): e.write(&w)
        case .reportRejected(let e): e.write(&w)
        case .rosterOverride(let e): e.write(&w)
        case .other(_, let data): return data
        }
        return .object(w.members)
    }

    /// A member of `data` already written as JSON, for the journal to copy rather than write again: an opened
    /// incident's plan, most of its line, written once per playbook.
    public var writtenMember: (key: String, bytes: [UInt8])? {
        guard case .incidentOpened(let e) = body, let bytes = e.plan.written else { return nil }
        return (RecordedPlan.key, bytes)
    }

    /// A record read back. A known type whose data lacks what the type needs (a hand-edited or foreign line) is
    /// kept as `.other`, which applying ignores, as the untyped fold did.
    public init(time: Timestamp, type: String, actor: String, data: JSONValue) {
        self.init(time: time, actor: actor, Self.body(type: type, data: data))
    }

    private static func body(type: String, data: JSONValue) -> Body {
        let r = V1Fields(data.objectValue ?? [:])
        let body: Body?
        switch type {
        case ReportReceived.type: body = ReportReceived(r).map(Body.reportReceived)
        case IncidentOpened.type: body = IncidentOpened(r).map(Body.incidentOpened)
        case SeverityRaised.type: body = SeverityRaised(r).map(Body.severityRaised)
        case IncidentAcknowledged.type: body = IncidentAcknowledged(r).map(Body.incidentAcknowledged)
        case AckMissed.type: body = AckMissed(r).map(Body.ackMissed)
        case IncidentResolved.type: body = IncidentResolved(r).map(Body.incidentResolved)
        case IncidentClosed.type: body = IncidentClosed(r).map(Body.incidentClosed)
        case IncidentReopened.type: body = IncidentReopened(r).map(Body.incidentReopened)
        case IncidentNote.type: body = IncidentNote(r).map(Body.note)
        case StepReady.type: body = StepReady(r).map(Body.stepReady)
        case StepAcknowledged.type: body = StepAcknowledged(r).map(Body.stepAcknowledged)
        case StepDone.type: body = StepDone(r).map(Body.stepDone)
        case StepSkipped.type: body = StepSkipped(r).map(Body.stepSkipped)
        case StepAssigned.type: body = StepAssigned(r).map(Body.stepAssigned)
        case StepReminded.type: body = StepReminded(r).map(Body.stepReminded)
        case StepMissed.type: body = StepMissed(r).map(Body.stepMissed)
        case EscalationTriggered.type: body = EscalationTriggered(r).map(Body.escalation)
        case NotificationRequested.type: body = NotificationRequested(r).map(Body.notificationRequested)
        case NotificationSent.type: body = NotificationSent(r).map(Body.notificationSent)
        case NotificationFailed.type: body = NotificationFailed(r).map(Body.notificationFailed)
        case NotificationLinkUsed.type: body = NotificationLinkUsed(r).map(Body.notificationLinkUsed)
        case ReportRejected.type: body = ReportRejected(r).map(Body.reportRejected)
        case RosterOverride.type: body = RosterOverride(r).map(Body.rosterOverride)
        default: body = nil
        }
        return body ?? .other(type: type, data: data)
    }
}

/// The members of a v1 data object, read. Each event's `init?(_:)` fails only for what its fold cannot do
/// without (the incident, the step); a member that is missing or of another type reads as nil.
struct V1Fields {
    let members: [String: JSONValue]
    init(_ members: [String: JSONValue]) { self.members = members }

    subscript(_ key: String) -> JSONValue? { members[key] }
    func string(_ key: String) -> String? { members[key]?.stringValue }
    func int(_ key: String) -> Int64? { members[key]?.intValue }
    func bool(_ key: String) -> Bool? { members[key]?.boolValue }
    func time(_ key: String) -> Timestamp? { string(key).flatMap(Timestamp.init(rfc3339:)) }
    func severity(_ key: String) -> Severity? { string(key).flatMap(Severity.init(rawValue:)) }
    func strings(_ key: String) -> [String]? { members[key]?.arrayValue?.compactMap(\.stringValue) }
}

/// The members of a v1 data object, written. `put` leaves out what is nil; `putOrNull` writes `null` for it,
/// for the members the v1 format always carries.
struct V1Members {
    var members: [String: JSONValue] = [:]

    mutating func put(_ key: String, _ value: String?) { if let value { members[key] = .string(value) } }
    mutating func put(_ key: String, _ value: Int64?) { if let value { members[key] = .int(value) } }
    mutating func put(_ key: String, _ value: Bool?) { if let value { members[key] = .bool(value) } }
    mutating func put(_ key: String, _ value: Timestamp?) { if let value { members[key] = .string(value.rfc3339) } }
    mutating func put(_ key: String, _ value: Severity?) { if let value { members[key] = .string(value.rawValue) } }
    mutating func putOrNull(_ key: String, _ value: String?) { members[key] = value.map(JSONValue.string) ?? .null }
    /// Written only when true: the v1 format has the member only then.
    mutating func flag(_ key: String, _ value: Bool) { if value { members[key] = true } }
}
