/// The commands responders and managers give about an incident and its steps.
enum IncidentCommands {
    static func handle(_ command: Command, by actor: Actor, on d: inout Draft, context: EngineContext) -> Result<Void, EngineError> {
        guard let id = command.incident else {
            return .failure(EngineError(.invalidState, "reports go through intake, deliveries through the outbox, overrides to the roster"))
        }
        guard d.state.incidents[id] != nil else {
            return .failure(EngineError(.unknownIncident, "there is no incident \(id); `firebreak incidents` lists them"))
        }
        d.id = id
        do {
            try run(command, on: &d, by: actor, context: context)
        } catch {
            return .failure(error)
        }
        return .success(())
    }

    private static func step(_ name: String, in d: Draft) throws(EngineError) -> Int {
        guard let i = d.incident.stepIndex(name) else {
            let names = d.incident.plan.steps.map(\.id).joined(separator: ", ")
            throw EngineError(.unknownStep, "\(d.incident.id) has no step named \"\(name)\"; its steps are: \(names)")
        }
        return i
    }

    private static func requireActive(_ d: Draft, _ verb: String) throws(EngineError) {
        guard d.incident.isActive else {
            throw EngineError(.invalidState, "\(d.incident.id) is \(d.incident.status.rawValue); reopen it before you \(verb)")
        }
    }

    /// A step someone can work on now: ready or acknowledged.
    private static func requireOpenStep(_ d: Draft, _ i: Int) throws(EngineError) {
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

    private static func run(_ command: Command, on d: inout Draft, by actor: Actor, context: EngineContext) throws(EngineError) {
        let roster = context.roster
        switch command {
        case .acknowledge:
            try requireActive(d, "acknowledge it")
            // Acknowledged already (by someone else, or by acknowledging a step): what was asked is true, so it
            // succeeds and changes nothing. Everyone paged acknowledges; only the first one is recorded.
            guard d.incident.status == .open else { return }
            d.emit(.incidentAcknowledged(IncidentAcknowledged(incident: d.id)))
        case .acknowledgeStep(let c):
            let name = c.step
            try requireActive(d, "work on it")
            let i = try step(name, in: d)
            guard d.incident.steps[i].status == .ready else {
                // Taken up or finished already (the owner acted before the backup read the page): nothing to do.
                if [.acknowledged, .done, .skipped].contains(d.incident.steps[i].status) { return }
                try requireOpenStep(d, i)
                return
            }
            if d.incident.status == .open { d.emit(.incidentAcknowledged(IncidentAcknowledged(incident: d.id))) }
            d.emit(.stepAcknowledged(StepAcknowledged(incident: d.id, step: name)))
        case .completeStep(let c):
            let name = c.step, note = c.note
            try requireActive(d, "work on it")
            let i = try step(name, in: d)
            // Done already: what was asked for is true. A note would be lost, so that is refused instead.
            if d.incident.steps[i].status == .done {
                guard let note, !note.isEmpty else { return }
                throw EngineError(.invalidState, "\(name) is already done; add what you did with `firebreak note \(d.incident.id) TEXT`")
            }
            try requireOpenStep(d, i)
            if d.incident.status == .open { d.emit(.incidentAcknowledged(IncidentAcknowledged(incident: d.id))) }
            let due = d.incident.steps[i].due
            // Done by someone else (the backup, a manager): they are credited, and the record says whose it was.
            let doneFor = d.incident.steps[i].owner.flatMap { $0 == actor.id ? nil : $0 }
            d.emit(.stepDone(StepDone(incident: d.id, step: name, due: due, onTime: d.now <= due,
                                      note: note.flatMap { $0.isEmpty ? nil : $0 }, doneFor: doneFor)))
            d.readySteps(roster: roster)
        case .skipStep(let c):
            let name = c.step, reason = c.reason
            try requireActive(d, "work on it")
            let i = try step(name, in: d)
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw EngineError(.invalidState, "say why \(name) is skipped: the reason goes into the post-mortem")
            }
            try requireOpenStep(d, i)
            if d.incident.status == .open { d.emit(.incidentAcknowledged(IncidentAcknowledged(incident: d.id))) }
            d.emit(.stepSkipped(StepSkipped(incident: d.id, step: name, reason: reason, abandoned: false)))
            d.readySteps(roster: roster)
        case .assignStep(let c):
            let name = c.step, to = c.to
            try requireActive(d, "hand steps over")
            let i = try step(name, in: d)
            guard roster.people[to] != nil else {
                throw EngineError(.unknownPerson, "\(to) is not a person in the roster")
            }
            try requireOpenStep(d, i)
            let from = d.incident.steps[i].owner
            guard from != to else { throw EngineError(.invalidState, "\(name) is already \(to)'s") }
            d.emit(.stepAssigned(StepAssigned(incident: d.id, step: name, from: from, to: to)))
            d.notify(to, kind: .stepAssigned, step: name, reason: "\(d.incident.plan.steps[i].title) was handed to you by \(actor.id), due \(d.incident.steps[i].due.rfc3339)")
        case .escalate(let c):
            let name = c.step, reason = c.reason
            try requireActive(d, "escalate it")
            let role: String
            if let name {
                let i = try step(name, in: d)
                role = d.incident.plan.steps[i].owner
            } else {
                role = d.incident.plan.steps.first?.owner ?? ""
            }
            guard let manager = roster.manager(of: role) ?? roster.managers.sorted().first else {
                throw EngineError(.invalidState, "nobody to escalate to: role \(role) has no manager and the roster names no managers")
            }
            d.emit(.escalation(EscalationTriggered(incident: d.id, step: name, manual: true, level: nil, repeatNumber: nil,
                                                   notify: "manager", reason: reason, to: manager)))
            d.notify(manager, kind: .escalation, step: name, reason: "\(actor.id) escalated \(d.incident.id)\(name.map { " (\($0))" } ?? ""): \(reason)")
        case .resolve(let c):
            let summary = c.summary, abandon = c.abandonOpenSteps
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
                    d.emit(.stepSkipped(StepSkipped(incident: d.id, step: d.incident.plan.steps[i].id,
                                                    reason: "abandoned: the incident was resolved with this step open", abandoned: true)))
                }
            }
            d.emit(.incidentResolved(IncidentResolved(incident: d.id, summary: summary)))
            // Everyone who owned a step hears it is over (not the one who resolved it).
            var told = Set([actor.id])
            for s in d.incident.steps { if let owner = s.owner, told.insert(owner).inserted {
                d.notify(owner, kind: .resolved, step: nil, reason: "\(d.incident.id) was resolved by \(actor.id): \(summary)")
            } }
        case .close(let c):
            let reason = c.reason
            guard d.incident.status == .resolved else {
                throw EngineError(.invalidState, "\(d.incident.id) is \(d.incident.status.rawValue): only a resolved incident is closed, after its review")
            }
            d.emit(.incidentClosed(IncidentClosed(incident: d.id, reason: reason)))
        case .reopen(let c):
            let reason = c.reason
            guard !d.incident.isActive else { throw EngineError(.invalidState, "\(d.incident.id) is still \(d.incident.status.rawValue)") }
            if let other = d.state.activeByURL[d.incident.canonicalURL], other != d.incident.id {
                throw EngineError(.invalidState, "\(other) is already active for the same post; work on that one")
            }
            d.emit(.incidentReopened(IncidentReopened(incident: d.id, reason: reason)))
        case .note(let c):
            let text = c.text
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw EngineError(.invalidState, "the note is empty") }
            d.emit(.note(IncidentNote(incident: d.id, text: text)))
        case .report, .delivered, .deliveryFailed, .overrideRole:
            break
        }
    }
}
