/// Events about one step of an incident, and escalations (of a step, or of the acknowledgement when `step` is
/// nil). Optional members are the ones a record may lack; the engine fills every member it has.

/// A step's `after` steps are finished: it is ready, with its owner resolved from the roster then.
public struct StepReady: Sendable, Hashable {
    static let type = EventType.stepReady
    public var incident: String
    public var step: String
    public var role: String?
    public var due: Timestamp?
    /// Nil when nobody held the role: the v1 line says `null`.
    public var owner: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let step = r.string("step") else { return nil }
        self.incident = incident
        self.step = step
        role = r.string("role")
        due = r.time("due")
        owner = r.string("owner")
    }

    init(incident: String, step: String, role: String, due: Timestamp, owner: String?) {
        self.incident = incident
        self.step = step
        self.role = role
        self.due = due
        self.owner = owner
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.put("role", role)
        w.put("due", due)
        w.putOrNull("owner", owner)
    }
}

public struct StepAcknowledged: Sendable, Hashable {
    static let type = EventType.stepAcknowledged
    public var incident: String
    public var step: String

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let step = r.string("step") else { return nil }
        self.init(incident: incident, step: step)
    }

    init(incident: String, step: String) {
        self.incident = incident
        self.step = step
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
    }
}

public struct StepDone: Sendable, Hashable {
    static let type = EventType.stepDone
    public var incident: String
    public var step: String
    public var due: Timestamp?
    public var onTime: Bool?
    public var note: String?
    /// Done by someone else (the backup, a manager), who is credited; this names whose step it was.
    public var doneFor: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let step = r.string("step") else { return nil }
        self.incident = incident
        self.step = step
        due = r.time("due")
        onTime = r.bool("on_time")
        note = r.string("note")
        doneFor = r.string("done_for")
    }

    init(incident: String, step: String, due: Timestamp, onTime: Bool, note: String?, doneFor: String?) {
        self.incident = incident
        self.step = step
        self.due = due
        self.onTime = onTime
        self.note = note
        self.doneFor = doneFor
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.put("due", due)
        w.put("on_time", onTime)
        w.put("note", note)
        w.put("done_for", doneFor)
    }
}

public struct StepSkipped: Sendable, Hashable {
    static let type = EventType.stepSkipped
    public var incident: String
    public var step: String
    public var reason: String?
    /// Skipped because the incident was resolved with it open (`resolve --abandon-open-steps`).
    public var abandoned = false

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let step = r.string("step") else { return nil }
        self.incident = incident
        self.step = step
        reason = r.string("reason")
        abandoned = r.bool("abandoned") == true
    }

    init(incident: String, step: String, reason: String, abandoned: Bool) {
        self.incident = incident
        self.step = step
        self.reason = reason
        self.abandoned = abandoned
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.put("reason", reason)
        w.flag("abandoned", abandoned)
    }
}

/// A step handed to someone else (`firebreak assign`).
public struct StepAssigned: Sendable, Hashable {
    static let type = EventType.stepAssigned
    public var incident: String
    public var step: String
    /// Nil when it had no owner: the v1 line says `null`.
    public var from: String?
    public var to: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let step = r.string("step") else { return nil }
        self.incident = incident
        self.step = step
        from = r.string("from")
        to = r.string("to")
    }

    init(incident: String, step: String, from: String?, to: String) {
        self.incident = incident
        self.step = step
        self.from = from
        self.to = to
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.putOrNull("from", from)
        w.put("to", to)
    }
}

public struct StepReminded: Sendable, Hashable {
    static let type = EventType.stepReminded
    public var incident: String
    public var step: String
    public var due: Timestamp?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let step = r.string("step") else { return nil }
        self.incident = incident
        self.step = step
        due = r.time("due")
    }

    init(incident: String, step: String, due: Timestamp) {
        self.incident = incident
        self.step = step
        self.due = due
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.put("due", due)
    }
}

public struct StepMissed: Sendable, Hashable {
    static let type = EventType.stepMissed
    public var incident: String
    public var step: String
    public var due: Timestamp?
    /// Nil when the step had no owner: the v1 line says `null`.
    public var owner: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let step = r.string("step") else { return nil }
        self.incident = incident
        self.step = step
        due = r.time("due")
        owner = r.string("owner")
    }

    init(incident: String, step: String, due: Timestamp, owner: String?) {
        self.incident = incident
        self.step = step
        self.due = due
        self.owner = owner
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.put("due", due)
        w.putOrNull("owner", owner)
    }
}

/// An escalation: automatic (a rung of the playbook's ladder, `level`), or by a person (`manual`), which does
/// not move the ladder.
public struct EscalationTriggered: Sendable, Hashable {
    static let type = EventType.escalation
    public var incident: String
    /// Nil: the acknowledgement's escalation.
    public var step: String?
    public var manual = false
    public var level: Int64?
    /// Past the ladder's last level: which repeat this is.
    public var repeatNumber: Int64?
    /// The target as the playbook names it (`owner`, `backup`, `manager`, `role:X`).
    public var notify: String?
    public var reason: String?
    /// Who is told; nil when nobody could be found: the v1 line says `null`.
    public var to: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        step = r.string("step")
        manual = r.bool("manual") == true
        level = r.int("level")
        repeatNumber = r.int("repeat")
        notify = r.string("notify")
        reason = r.string("reason")
        to = r.string("to")
    }

    init(incident: String, step: String?, manual: Bool, level: Int64?, repeatNumber: Int64?, notify: String, reason: String, to: String?) {
        self.incident = incident
        self.step = step
        self.manual = manual
        self.level = level
        self.repeatNumber = repeatNumber
        self.notify = notify
        self.reason = reason
        self.to = to
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("step", step)
        w.flag("manual", manual)
        w.put("level", level)
        w.put("repeat", repeatNumber)
        w.put("notify", notify)
        w.put("reason", reason)
        w.putOrNull("to", to)
    }
}
