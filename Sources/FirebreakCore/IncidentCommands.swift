/// The commands responders and managers give about an incident and its steps.
enum IncidentCommands {
    static func handle(_ command: Command, by actor: Actor, state: EngineState, now: Timestamp,
                       context: EngineContext) -> Result<[Event], EngineError> {
        let id: String
        switch command {
        case .acknowledge(let i), .acknowledgeStep(let i, _), .completeStep(let i, _, _), .skipStep(let i, _, _),
             .assignStep(let i, _, _), .escalate(let i, _, _), .resolve(let i, _, _), .close(let i, _), .reopen(let i, _), .note(let i, _):
            id = i
        case .report, .delivered, .deliveryFailed, .overrideRole:
            return .failure(EngineError(.invalidState, "reports go through intake, deliveries through the outbox, overrides to the roster"))
        }
        guard let incident = state.incidents[id] else {
            return .failure(EngineError(.unknownIncident, "there is no incident \(id); `firebreak incidents` lists them"))
        }
        var draft = IncidentDraft(incident, now: now, actor: actor.id)
        do {
            try run(command, on: &draft, by: actor, state: state, context: context)
        } catch {
            return .failure(error)
        }
        return .success(draft.events)
    }

    private static func step(_ name: String, in d: IncidentDraft) throws(EngineError) -> Int {
        guard let i = d.incident.stepIndex(name) else {
            let names = d.incident.plan.steps.map(\.id).joined(separator: ", ")
            throw EngineError(.unknownStep, "\(d.incident.id) has no step named \"\(name)\"; its steps are: \(names)")
        }
        return i
    }

    private static func requireActive(_ d: IncidentDraft, _ verb: String) throws(EngineError) {
        guard d.incident.isActive else {
            throw EngineError(.invalidState, "\(d.incident.id) is \(d.incident.status.rawValue); reopen it before you \(verb)")
        }
    }

    /// A step someone can work on now: ready or acknowledged.
    private static func requireOpenStep(_ d: IncidentDraft, _ i: Int) throws(EngineError) {
        let s = d.incident.steps[i], plan = d.incident.plan.steps[i]
        switch s.status {
        case .ready, .acknowledged: return
        case .waiting:
            let pending = plan.after.filter { dep in d.incident.stepIndex(dep).map { !d.incident.steps[$0].isFinished } ?? false }
            throw EngineError(.invalidState, "\(plan.id) is waiting for \(pending.joined(separator: ", ")) to be done or skipped")
        case .inactive:
            throw EngineError(.invalidState, "\(plan.id) is not part of this response at severity \(d.incident.severity.rawValue) (it is for \(plan.when?.rawValue ?? "?") and above)")
        case .done, .skipped:
            throw EngineError(.invalidState, "\(plan.id) is already \(s.status.rawValue)")
        }
    }

    private static func run(_ command: Command, on d: inout IncidentDraft, by actor: Actor, state: EngineState,
                            context: EngineContext) throws(EngineError) {
        let roster = context.roster
        switch command {
        case .acknowledge:
            try requireActive(d, "acknowledge it")
            // Acknowledged already (by someone else, or by acknowledging a step): what was asked is true, so it
            // succeeds and changes nothing. Everyone paged acknowledges; only the first one is recorded.
            guard d.incident.status == .open else { return }
            d.emit(EventType.incidentAcknowledged, [:])
        case .acknowledgeStep(_, let name):
            try requireActive(d, "work on it")
            let i = try step(name, in: d)
            guard d.incident.steps[i].status == .ready else {
                // Taken up or finished already (the owner acted before the backup read the page): nothing to do.
                if [.acknowledged, .done, .skipped].contains(d.incident.steps[i].status) { return }
                try requireOpenStep(d, i)
                return
            }
            if d.incident.status == .open { d.emit(EventType.incidentAcknowledged, [:]) }
            d.emit(EventType.stepAcknowledged, ["step": .string(name)])
        case .completeStep(_, let name, let note):
            try requireActive(d, "work on it")
            let i = try step(name, in: d)
            // Done already: what was asked for is true. A note would be lost, so that is refused instead.
            if d.incident.steps[i].status == .done {
                guard let note, !note.isEmpty else { return }
                throw EngineError(.invalidState, "\(name) is already done; add what you did with `firebreak note \(d.incident.id) TEXT`")
            }
            try requireOpenStep(d, i)
            if d.incident.status == .open { d.emit(EventType.incidentAcknowledged, [:]) }
            var data: [String: JSONValue] = ["step": .string(name), "due": .string(d.incident.steps[i].due.rfc3339),
                                             "on_time": .bool(d.now <= d.incident.steps[i].due)]
            if let note, !note.isEmpty { data["note"] = .string(note) }
            // Done by someone else (the backup, a manager): they are credited, and the record says whose it was.
            if let owner = d.incident.steps[i].owner, owner != actor.id { data["done_for"] = .string(owner) }
            d.emit(EventType.stepDone, data)
            d.readySteps(roster: roster)
        case .skipStep(_, let name, let reason):
            try requireActive(d, "work on it")
            let i = try step(name, in: d)
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw EngineError(.invalidState, "say why \(name) is skipped: the reason goes into the post-mortem")
            }
            try requireOpenStep(d, i)
            if d.incident.status == .open { d.emit(EventType.incidentAcknowledged, [:]) }
            d.emit(EventType.stepSkipped, ["step": .string(name), "reason": .string(reason)])
            d.readySteps(roster: roster)
        case .assignStep(_, let name, let to):
            try requireActive(d, "hand steps over")
            let i = try step(name, in: d)
            guard roster.people[to] != nil else {
                throw EngineError(.unknownPerson, "\(to) is not a person in the roster")
            }
            try requireOpenStep(d, i)
            let from = d.incident.steps[i].owner
            guard from != to else { throw EngineError(.invalidState, "\(name) is already \(to)'s") }
            d.emit(EventType.stepAssigned, ["step": .string(name), "from": from.map { .string($0) } ?? .null, "to": .string(to)])
            d.notify(to, kind: "step.assigned", step: name, reason: "\(d.incident.plan.steps[i].title) was handed to you by \(actor.id), due \(d.incident.steps[i].due.rfc3339)")
        case .escalate(_, let name, let reason):
            try requireActive(d, "escalate it")
            let role: String
            var data: [String: JSONValue] = ["manual": .bool(true), "reason": .string(reason), "notify": "manager"]
            if let name {
                let i = try step(name, in: d)
                role = d.incident.plan.steps[i].owner
                data["step"] = .string(name)
            } else {
                role = d.incident.plan.steps.first?.owner ?? ""
            }
            guard let manager = roster.manager(of: role) ?? roster.managers.sorted().first else {
                throw EngineError(.invalidState, "nobody to escalate to: role \(role) has no manager and the roster names no managers")
            }
            data["to"] = .string(manager)
            d.emit(EventType.escalation, data)
            d.notify(manager, kind: "escalation", step: name, reason: "\(actor.id) escalated \(d.incident.id)\(name.map { " (\($0))" } ?? ""): \(reason)")
        case .resolve(_, let summary, let abandon):
            try requireActive(d, "resolve it")
            guard !summary.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw EngineError(.invalidState, "a resolution needs a summary of what was done: it opens the post-mortem")
            }
            let open = d.incident.steps.indices.filter { [.waiting, .ready, .acknowledged].contains(d.incident.steps[$0].status) }
            if !open.isEmpty {
                let names = open.map { d.incident.plan.steps[$0].id }
                guard abandon else {
                    throw EngineError(.invalidState, "\(d.incident.id) still has \(names.count) open \(names.count == 1 ? "step" : "steps") (\(names.joined(separator: ", "))): finish or skip \(names.count == 1 ? "it" : "them"), or resolve with --abandon-open-steps to record \(names.count == 1 ? "it" : "them") as abandoned")
                }
                for i in open {
                    d.emit(EventType.stepSkipped, ["step": .string(d.incident.plan.steps[i].id), "abandoned": true,
                                                   "reason": .string("abandoned: the incident was resolved with this step open")])
                }
            }
            d.emit(EventType.incidentResolved, ["summary": .string(summary)])
            // Everyone who owned a step hears it is over (not the one who resolved it).
            var told = Set([actor.id])
            for s in d.incident.steps { if let owner = s.owner, told.insert(owner).inserted {
                d.notify(owner, kind: "incident.resolved", step: nil, reason: "\(d.incident.id) was resolved by \(actor.id): \(summary)")
            } }
        case .close(_, let reason):
            guard d.incident.status == .resolved else {
                throw EngineError(.invalidState, "\(d.incident.id) is \(d.incident.status.rawValue): only a resolved incident is closed, after its review")
            }
            var data: [String: JSONValue] = [:]
            if let reason { data["reason"] = .string(reason) }
            d.emit(EventType.incidentClosed, data)
        case .reopen(_, let reason):
            guard !d.incident.isActive else { throw EngineError(.invalidState, "\(d.incident.id) is still \(d.incident.status.rawValue)") }
            if let other = state.activeByURL[d.incident.canonicalURL], other != d.incident.id {
                throw EngineError(.invalidState, "\(other) is already active for the same post; work on that one")
            }
            d.emit(EventType.incidentReopened, ["reason": .string(reason)])
        case .note(_, let text):
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw EngineError(.invalidState, "the note is empty") }
            d.emit(EventType.note, ["text": .string(text)])
        case .report, .delivered, .deliveryFailed, .overrideRole:
            break
        }
    }
}
