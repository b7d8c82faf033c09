import FirebreakCore

// The results operations answer with, as the socket, the JSON API and the pages show them.

/// What a person sees of an incident: reporters only for managers.
public enum IncidentView {
    public static func json(_ inc: IncidentState, for actor: Actor, now: Timestamp) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(inc.id), "status": .string(inc.status.rawValue), "severity": .string(inc.severity.rawValue),
            "playbook": .string(inc.plan.playbook), "title": .string(inc.plan.title), "url": .string(inc.canonicalURL),
            "opened_at": .string(inc.openedAt.rfc3339), "ack_due": .string(inc.ackDue.rfc3339),
            "reports": .int(Int64(inc.reportCount)), "reporters": .int(Int64(inc.reporters.count)),
        ]
        if let p = inc.platform { o["platform"] = .string(p) }
        if let c = inc.category { o["category"] = .string(c) }
        if let a = inc.acknowledgedAt { o["acknowledged_at"] = .string(a.rfc3339) }
        if let r = inc.resolvedAt { o["resolved_at"] = .string(r.rfc3339) }
        if let s = inc.summary { o["summary"] = .string(s) }
        if let l = inc.linkedTo { o["linked_to"] = .string(l) }
        if Visibility.maySeeEvidence(actor) && !inc.evidence.isEmpty { o["evidence"] = .array(inc.evidence.map(\.json)) }
        if Visibility.maySeeReporters(actor) { o["reporter_ids"] = .array(inc.reporters.map { .string($0) }) }
        o["steps"] = .array(inc.steps.indices.map { i in
            let s = inc.steps[i], plan = inc.plan.steps[i]
            var step: [String: JSONValue] = ["id": .string(plan.id), "title": .string(plan.title), "role": .string(plan.owner),
                                             "status": .string(s.status.rawValue), "due": .string(s.due.rfc3339),
                                             "overdue": .bool(s.isOverdue(at: now))]
            if let owner = s.owner { step["owner"] = .string(owner) }
            if let f = s.finishedAt { step["finished_at"] = .string(f.rfc3339) }
            return .object(step)
        })
        return .object(o)
    }
}

extension IncidentView {
    /// The view with what the journal holds beyond the state: every report as the viewer may see it (its note,
    /// the post's text, reach and evidence; who sent it only for managers, a reporter's own reports only for
    /// them) and the notes responders added. It is what a responder needs on the one screen they open.
    public static func withRecords(_ view: JSONValue, _ events: [Event], for actor: Actor) -> JSONValue {
        guard case .object(var o) = view else { return view }
        var reports: [JSONValue] = [], notes: [JSONValue] = []
        for raw in events {
            guard let e = Visibility.event(raw, for: actor) else { continue }
            switch e.body {
            case .reportReceived(let report):
                var r: [String: JSONValue] = ["time": .string(e.time.rfc3339)]
                for (key, text) in [("url", report.url), ("category", report.category), ("text", report.text), ("note", report.note),
                                    ("reporter", report.reporter)] {
                    if let text { r[key] = .string(text) }
                }
                if let v = report.views { r["views"] = .int(v) }
                if let v = report.shares { r["shares"] = .int(v) }
                if Visibility.maySeeEvidence(actor), !report.evidence.isEmpty { r["evidence"] = .array(report.evidence.map(\.json)) }
                reports.append(.object(r))
            case .note(let note):
                notes.append(["time": .string(e.time.rfc3339), "by": .string(e.actor), "text": note.text.map(JSONValue.string) ?? .null])
            default:
                break
            }
        }
        o["report_list"] = .array(reports)
        if actor.access >= .responder { o["notes"] = .array(notes) }
        return .object(o)
    }
}

/// Who holds each role now and who next: `firebreak oncall`, the board.
public enum OnCallView {
    public static func json(_ roster: Roster, roles only: String?, now: Timestamp) -> [JSONValue] {
        let ids = only.map { [$0] } ?? roster.roles.keys.sorted()
        return ids.compactMap { id in
            guard let role = roster.roles[id] else { return nil }
            var o: [String: JSONValue] = ["role": .string(id), "title": .string(role.title),
                                          "holder": roster.holder(of: id, at: now).map { .string($0) } ?? .null]
            if let name = roster.holder(of: id, at: now).flatMap({ roster.people[$0]?.name }) { o["name"] = .string(name) }
            if let ov = roster.override(of: id, at: now) {
                var d: [String: JSONValue] = ["until": .string(ov.until.rfc3339), "from": .string(ov.from.rfc3339)]
                if let r = ov.reason { d["reason"] = .string(r) }
                o["override"] = .object(d)
            }
            if let next = roster.nextChange(of: id, after: now) {
                o["next_at"] = .string(next.rfc3339)
                o["next_holder"] = roster.holder(of: id, at: next).map { .string($0) } ?? .null
            }
            if let b = roster.backup(of: id, at: now) { o["backup"] = .string(b) }
            if let m = roster.manager(of: id) { o["manager"] = .string(m) }
            return .object(o)
        }
    }
}
