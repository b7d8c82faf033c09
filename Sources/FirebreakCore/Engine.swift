/// The engine: a command, the state, the playbooks and roster and "now" give the events to journal. Nothing here
/// reads a clock, a file or a socket; events derived from others (a step that becomes ready when the one before
/// it is done) are found by applying the events so far to a copy of the incident.
public enum Engine {
    public static func handle(_ command: Command, by actor: Actor, state: EngineState, now: Timestamp,
                              context: EngineContext) -> Result<[Event], EngineError> {
        // Overrides made with `firebreak override` count like the roster file's own.
        let context = context.withOverrides(state.overrides)
        guard actor.access >= command.requiredAccess else {
            let who = command.requiredAccess == .manager ? "managers" : "responders (people in a roster role) and managers"
            return .failure(EngineError(.forbidden, "only \(who) may \(command.name); \(actor.id) is a \(actor.access.rawValue)"))
        }
        switch command {
        case .report(let report, let key):
            return Intake.report(report, key: key, by: actor, state: state, now: now, context: context)
        case .delivered, .deliveryFailed:
            return Outbox.handle(command, state: state, now: now, context: context)
        case .overrideRole(let role, let person, let until, let reason):
            guard context.roster.roles[role] != nil else {
                let known = context.roster.roles.keys.sorted().joined(separator: ", ")
                return .failure(EngineError(.unknownPerson, "there is no role \(role); the roles are: \(known)"))
            }
            guard context.roster.people[person] != nil else {
                return .failure(EngineError(.unknownPerson, "\(person) is not a person in the roster"))
            }
            guard until > now else {
                return .failure(EngineError(.invalidState, "the override must end in the future (until \(until.rfc3339) is not after now, \(now.rfc3339))"))
            }
            var data: [String: JSONValue] = ["role": .string(role), "person": .string(person), "from": .string(now.rfc3339),
                                             "until": .string(until.rfc3339), "was": context.roster.holder(of: role, at: now).map { .string($0) } ?? .null]
            if let reason, !reason.isEmpty { data["reason"] = .string(reason) }
            return .success([Event(time: now, type: EventType.rosterOverride, actor: actor.id, data: .object(data))])
        default:
            return IncidentCommands.handle(command, by: actor, state: state, now: now, context: context)
        }
    }

    /// The events for every deadline at or before `now`; takes them off the state's queue. The caller journals
    /// them and applies them (which arms the next deadlines); if journaling fails, reverting the batch's
    /// `EngineUndo` queues the deadlines of its incidents again, so that nothing is forgotten.
    public static func dueEvents(state: inout EngineState, now: Timestamp, context: EngineContext) -> [Event] {
        let context = context.withOverrides(state.overrides)
        var events: [Event] = []
        // Several deadlines of one incident can fall due together (an acknowledgement and a first step with
        // the same deadline); each must see the events of the ones before it, or both would number their
        // notifications from the same count and one would overwrite the other in the outbox.
        var seen: [String: IncidentState] = [:]
        for (deadline, due) in state.takeDue(at: now) {
            guard var inc = seen[deadline.incident] ?? state.incidents[deadline.incident] else { continue }
            let made = Escalation.events(for: inc, step: deadline.step, due: due, now: now, context: context)
            for e in made { inc.apply(e) }
            seen[deadline.incident] = inc
            events += made
        }
        return events
    }
}

/// Builds a list of events about one incident while keeping a copy of it up to date, so later decisions see
/// the earlier events' effects.
struct IncidentDraft {
    var incident: IncidentState
    var events: [Event] = []
    let now: Timestamp
    let actor: String

    init(_ incident: IncidentState, now: Timestamp, actor: String) {
        self.incident = incident
        self.now = now
        self.actor = actor
    }

    mutating func emit(_ type: String, _ data: [String: JSONValue], actor: String? = nil) {
        var d = data
        d["incident"] = .string(incident.id)
        let e = Event(time: now, type: type, actor: actor ?? self.actor, data: .object(d))
        incident.apply(e)
        events.append(e)
    }

    /// Steps waiting whose `after` steps are all finished (or not part of this response) become ready, with
    /// their owner resolved from the roster now; each owner is asked to be told.
    mutating func readySteps(roster: Roster) {
        var changed = true
        while changed {
            changed = false
            for (i, step) in incident.steps.enumerated() where step.status == .waiting {
                let plan = incident.plan.steps[i]
                let blocked = plan.after.contains { dep in
                    guard let j = incident.stepIndex(dep) else { return false }
                    let s = incident.steps[j].status
                    return !(s == .done || s == .skipped || s == .inactive)
                }
                if blocked { continue }
                let owner = roster.holder(of: plan.owner, at: now)
                let due = plan.dueAfterReady ? now + plan.due : step.due
                var data: [String: JSONValue] = ["step": .string(plan.id), "role": .string(plan.owner), "due": .string(due.rfc3339)]
                data["owner"] = owner.map { .string($0) } ?? .null
                emit(EventType.stepReady, data, actor: "firebreakd")
                if let owner {
                    notify(owner, kind: "step.assigned", step: plan.id, reason: "\(plan.title) is yours, due \(due.rfc3339)")
                }
                changed = true
            }
        }
    }

    /// Asks for `person` to be told: the request goes into the outbox (`EngineState.outbox`) under an id of its
    /// own, and the daemon's notifier delivers it and journals how that went.
    mutating func notify(_ person: String, kind: String, step: String?, reason: String, extra: [String: JSONValue] = [:]) {
        var data: [String: JSONValue] = ["to": .string(person), "kind": .string(kind), "reason": .string(reason),
                                         "id": .string("\(incident.id).n\(incident.notificationCount + 1)")]
        if let step { data["step"] = .string(step) }
        for (k, v) in extra { data[k] = v }
        emit(EventType.notification, data, actor: "firebreakd")
    }

    /// Raises severity when a rule's threshold is reached, bringing in the steps gated on the new severity.
    mutating func applyRaiseRules(roster: Roster) {
        var target = incident.severity
        var reasons: [String] = []
        for rule in incident.plan.raise where rule.to > target {
            let value: Int64
            switch rule.measure {
            case .views: value = incident.views
            case .shares: value = incident.shares
            case .reporters: value = Int64(incident.reporters.count)
            }
            if value >= rule.atLeast {
                target = rule.to
                reasons.append("\(rule.measure.rawValue) \(value) ≥ \(rule.atLeast)")
            }
        }
        guard target > incident.severity else { return }
        let activated = incident.plan.steps.indices.filter { i in
            incident.steps[i].status == .inactive && (incident.plan.steps[i].when.map { target >= $0 } ?? true)
        }.map { incident.plan.steps[$0].id }
        emit(EventType.severityRaised, [
            "from": .string(incident.severity.rawValue), "to": .string(target.rawValue),
            "reason": .string(reasons.joined(separator: "; ")), "activated": .array(activated.map { .string($0) }),
        ], actor: "firebreakd")
        readySteps(roster: roster)
    }
}

