/// A report becomes events: attached to the active incident about the same post, or a new incident run by the
/// most specific playbook.
enum Intake {
    static func report(_ r: Report, key: String?, by actor: Actor, on d: inout Draft,
                       context: EngineContext) -> Result<Void, EngineError> {
        // Read through `d.state`, never a copy of it: the draft changes the state in place, and a copy alive
        // meanwhile would make that a copy of every incident.
        if let key, let earlier = d.state.reportKeys[key] {
            return .failure(EngineError(.duplicate, "this report was already filed (\(key)) and went to \(earlier)", incident: earlier))
        }
        let canonical: String
        switch r.canonicalURL {
        case .success(let c): canonical = c
        case .failure(let why): return .failure(EngineError(.invalidReport, "url: \(r.url) \(why)"))
        }
        guard r.attached.count == r.evidence.count || r.evidence.isEmpty else {
            return .failure(EngineError(.invalidReport, "evidence: \(r.evidence.count) files named but \(r.attached.count) stored"))
        }
        let platform = r.platform ?? PostAddress.platform(ofCanonical: canonical)
        let reportID = EngineState.reportID(d.state.reportCount + 1)
        func received(_ incident: String, newReporter: Bool) -> Event.Body {
            var e = ReportReceived(incident: incident, report: reportID, url: r.url,
                                   canonicalURL: canonical, reporter: actor.id)
            e.platform = platform
            e.category = r.category?.rawValue
            e.author = r.author
            e.text = r.text
            e.note = r.note
            e.views = r.views
            e.shares = r.shares
            e.evidence = r.attached
            e.key = key
            e.newReporter = newReporter
            return .reportReceived(e)
        }

        if let existing = d.state.activeByURL[canonical], let incident = d.state.incidents[existing] {
            d.id = existing
            d.emit(received(existing, newReporter: !incident.reporters.contains(actor.id)))
            d.applyRaiseRules(roster: context.roster)
            return .success(())
        }

        guard let choice = context.playbooks.choose(for: r, platform: platform) else {
            return .failure(EngineError(.noPlaybook, "no playbook matches this report and there is no fallback playbook; run `firebreak validate`"))
        }
        let p = choice.playbook
        let id = EngineState.incidentID(d.state.incidentCount + 1)
        var opened = IncidentOpened(incident: id, url: r.url, canonicalURL: canonical, plan: choice.recorded,
                                    severity: p.severity, ackDue: d.now + p.acknowledge)
        opened.reason = choice.reason
        opened.platform = platform
        opened.category = r.category?.rawValue
        opened.linkedTo = d.state.latestByURL[canonical]
        d.emit(.incidentOpened(opened), actor: Actor.daemon.id)
        d.id = id
        d.emit(received(id, newReporter: true))
        d.applyRaiseRules(roster: context.roster)
        d.readySteps(roster: context.roster)
        return .success(())
    }
}
