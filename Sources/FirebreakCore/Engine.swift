/// The engine: a command, the state, the playbooks and roster and "now" give the events to journal, applied to
/// the state as they are decided (later decisions see earlier events' effects: a step that becomes ready when
/// the one before it is done). Nothing here reads a clock, a file or a socket. The caller journals the events;
/// if that fails it reverts the batch's `EngineUndo`, which holds what each event replaced.
public enum Engine {
    /// The events `command` makes, applied to `state`, with what they replaced added to `undo`. A refused
    /// command leaves `state` as it was.
    public static func handle(_ command: Command, by actor: Actor, state: inout EngineState, undo: inout EngineUndo,
                              now: Timestamp, context: EngineContext) -> Result<[Event], EngineError> {
        // Overrides made with `firebreak override` count like the roster file's own.
        let context = context.withOverrides(state.overrides)
        guard actor.access >= command.requiredAccess else {
            let who = command.requiredAccess == .manager ? "managers" : "responders (people in a roster role) and managers"
            return .failure(EngineError(.forbidden, "only \(who) may \(command.name); \(actor.id) is a \(actor.access.rawValue)"))
        }
        var draft = Draft(now: now, actor: actor.id)
        swap(&draft.state, &state)
        let outcome: Result<Void, EngineError>
        switch command {
        case .report(let c):
            outcome = Intake.report(c.report, key: c.key, by: actor, on: &draft, context: context)
        case .delivered, .deliveryFailed:
            outcome = Outbox.handle(command, on: &draft, context: context)
        case .overrideRole(let c):
            outcome = overrideRole(c, on: &draft, context: context)
        default:
            outcome = IncidentCommands.handle(command, by: actor, on: &draft, context: context)
        }
        if case .failure = outcome { draft.state.revert(draft.undo) } else { undo.absorb(draft.undo) }
        swap(&draft.state, &state)
        return outcome.map { draft.events }
    }

    /// The events for every deadline at or before `now`, applied to `state`; takes them off the state's queue.
    /// If journaling them fails, reverting the batch's `undo` queues the deadlines of their incidents again, so
    /// that nothing is forgotten.
    public static func dueEvents(state: inout EngineState, undo: inout EngineUndo, now: Timestamp, context: EngineContext) -> [Event] {
        let context = context.withOverrides(state.overrides)
        var draft = Draft(now: now, actor: Actor.daemon.id)
        swap(&draft.state, &state)
        // Several deadlines of one incident can fall due together (an acknowledgement and a first step with the
        // same deadline); each sees the events of the ones before it, or both would number their notifications
        // from the same count and one would overwrite the other in the outbox.
        for (deadline, due) in draft.state.takeDue(at: now) {
            guard let inc = draft.state.incidents[deadline.incident] else { continue }
            Escalation.events(for: inc, step: deadline.step, due: due, on: &draft, context: context)
        }
        undo.absorb(draft.undo)
        swap(&draft.state, &state)
        return draft.events
    }

    /// `handle` for a caller that never takes events back (a simulation, a generated journal).
    public static func handle(_ command: Command, by actor: Actor, state: inout EngineState, now: Timestamp,
                              context: EngineContext) -> Result<[Event], EngineError> {
        var undo = EngineUndo()
        return handle(command, by: actor, state: &state, undo: &undo, now: now, context: context)
    }

    /// The events `command` would make on `state`, which is left as it is: for a caller that applies them
    /// itself (a test comparing a fold with the engine's own application).
    public static func handle(_ command: Command, by actor: Actor, state: EngineState, now: Timestamp,
                              context: EngineContext) -> Result<[Event], EngineError> {
        var copy = state
        return handle(command, by: actor, state: &copy, now: now, context: context)
    }

    /// `dueEvents` for a caller that never takes events back.
    public static func dueEvents(state: inout EngineState, now: Timestamp, context: EngineContext) -> [Event] {
        var undo = EngineUndo()
        return dueEvents(state: &state, undo: &undo, now: now, context: context)
    }

    private static func overrideRole(_ c: Command.OverrideRole, on d: inout Draft, context: EngineContext) -> Result<Void, EngineError> {
        let role = c.role, person = c.person, until = c.until
        guard context.roster.roles[role] != nil else {
            let known = context.roster.roles.keys.sorted().joined(separator: ", ")
            return .failure(EngineError(.unknownPerson, "there is no role \(role); the roles are: \(known)"))
        }
        guard context.roster.people[person] != nil else {
            return .failure(EngineError(.unknownPerson, "\(person) is not a person in the roster"))
        }
        guard until > d.now else {
            return .failure(EngineError(.invalidState, "the override must end in the future (until \(until.rfc3339) is not after now, \(d.now.rfc3339))"))
        }
        let reason = c.reason.flatMap { $0.isEmpty ? nil : $0 }
        d.emit(.rosterOverride(RosterOverride(role: role, person: person, from: d.now, until: until,
                                              was: context.roster.holder(of: role, at: d.now), reason: reason)))
        return .success(())
    }
}

/// The state while a command is decided, and the events so far: each is applied as it is emitted, with what it
/// replaced kept in `undo`, so later decisions see the earlier events' effects and nothing applies them again.
struct Draft {
    var state = EngineState()
    var undo = EngineUndo()
    var events: [Event] = []
    let now: Timestamp
    let actor: String
    /// The incident a command is about, once it is known to exist.
    var id = ""

    init(now: Timestamp, actor: String) {
        self.now = now
        self.actor = actor
    }

    mutating func emit(_ body: Event.Body, actor: String? = nil) {
        let e = Event(time: now, actor: actor ?? self.actor, body)
        state.apply(e, undo: &undo)
        events.append(e)
    }

    /// The incident being decided about (`id`), as the events so far have made it.
    var incident: IncidentState { state.incidents[id]! }
}

extension Draft {
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
                emit(.stepReady(StepReady(incident: id, step: plan.id, role: plan.owner, due: due, owner: owner)), actor: Actor.daemon.id)
                if let owner {
                    notify(owner, kind: .stepAssigned, step: plan.id, reason: "\(plan.title) is yours, due \(due.rfc3339)")
                }
                changed = true
            }
        }
    }

    /// Asks for `person` to be told: the request goes into the outbox (`EngineState.outbox`) under an id of its
    /// own, and the daemon's notifier delivers it and journals how that went.
    mutating func notify(_ person: String, kind: NotificationKind, step: String?, reason: String, hops: Int64? = nil, about: String? = nil) {
        var n = NotificationRequested(incident: id, id: "\(id).n\(incident.notificationCount + 1)", to: person, kind: kind,
                                      step: step, reason: reason)
        n.hops = hops
        n.about = about
        emit(.notificationRequested(n), actor: Actor.daemon.id)
    }

    /// Raises severity when a rule's threshold is reached, bringing in the steps gated on the new severity.
    mutating func applyRaiseRules(roster: Roster) {
        // One look-up of the incident for the rules (every report that joins an incident comes here): nothing
        // changes it until the event below.
        let incident = self.incident
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
        emit(.severityRaised(SeverityRaised(incident: id, from: incident.severity, to: target, reason: reasons.joined(separator: "; "),
                                            activated: activated)), actor: Actor.daemon.id)
        readySteps(roster: roster)
    }
}

