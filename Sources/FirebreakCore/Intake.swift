/// A report becomes events: attached to the active incident about the same post, or a new incident run by the
/// most specific playbook.
enum Intake {
    static func report(_ r: Report, key: String?, by actor: Actor, state: EngineState, now: Timestamp,
                       context: EngineContext) -> Result<[Event], EngineError> {
        if let key, let earlier = state.reportKeys[key] {
            return .failure(EngineError(.duplicate, "this report was already filed (\(key)) and went to \(earlier)", incident: earlier))
        }
        let canonical: String
        switch r.canonicalURL {
        case .success(let c): canonical = c
        case .failure(let why): return .failure(EngineError(.invalidReport, "url: \(r.url) \(why)"))
        }
        let platform = r.platform ?? PostAddress.platform(ofCanonical: canonical)
        var data: [String: JSONValue] = [
            "report": .string(EngineState.reportID(state.reportCount + 1)),
            "url": .string(r.url), "canonical_url": .string(canonical), "reporter": .string(actor.id),
        ]
        if let platform { data["platform"] = .string(platform) }
        if let c = r.category { data["category"] = .string(c.rawValue) }
        if let a = r.author { data["author"] = .string(a) }
        if let t = r.text { data["text"] = .string(t) }
        if let n = r.note { data["note"] = .string(n) }
        if let v = r.views { data["views"] = .int(v) }
        if let s = r.shares { data["shares"] = .int(s) }
        guard r.attached.count == r.evidence.count || r.evidence.isEmpty else {
            return .failure(EngineError(.invalidReport, "evidence: \(r.evidence.count) files named but \(r.attached.count) stored"))
        }
        if !r.attached.isEmpty { data["evidence"] = .array(r.attached.map(\.json)) }
        if let key { data["key"] = .string(key) }

        if let existing = state.activeByURL[canonical], let incident = state.incidents[existing] {
            var draft = IncidentDraft(incident, now: now, actor: actor.id)
            data["new_reporter"] = .bool(!incident.reporters.contains(actor.id))
            draft.emit(EventType.reportReceived, data)
            draft.applyRaiseRules(roster: context.roster)
            return .success(draft.events)
        }

        guard let choice = context.playbooks.choose(for: r, platform: platform) else {
            return .failure(EngineError(.noPlaybook, "no playbook matches this report and there is no fallback playbook; run `firebreak validate`"))
        }
        let p = choice.playbook
        let id = EngineState.incidentID(state.incidentCount + 1)
        var opened: [String: JSONValue] = [
            "incident": .string(id), "url": .string(r.url), "canonical_url": .string(canonical),
            RecordedPlan.key: choice.recorded.json, "severity": .string(p.severity.rawValue),
            "ack_due": .string((now + p.acknowledge).rfc3339), "reason": .string(choice.reason),
        ]
        if let platform { opened["platform"] = .string(platform) }
        if let c = r.category { opened["category"] = .string(c.rawValue) }
        if let earlier = state.latestByURL[canonical] { opened["linked_to"] = .string(earlier) }
        let openedEvent = Event(time: now, type: EventType.incidentOpened, actor: "firebreakd", data: .object(opened),
                                recorded: choice.recorded)
        var scratch = EngineState()
        scratch.apply(openedEvent)
        guard let incident = scratch.incidents[id] else {
            return .failure(EngineError(.invalidState, "could not open an incident from playbook \(p.id)"))
        }
        var draft = IncidentDraft(incident, now: now, actor: actor.id)
        data["incident"] = .string(id)
        data["new_reporter"] = .bool(true)
        draft.emit(EventType.reportReceived, data)
        draft.applyRaiseRules(roster: context.roster)
        draft.readySteps(roster: context.roster)
        return .success([openedEvent] + draft.events)
    }
}
