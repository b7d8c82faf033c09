import FirebreakCore

/// One journal record as the review sees it: the event and where it sits in the hash chain.
public struct ReviewRecord: Sendable {
    public var seq: UInt64
    public var hash: String
    public var event: Event

    public init(seq: UInt64, hash: String, event: Event) {
        self.seq = seq
        self.hash = hash
        self.event = event
    }
}

/// The post-mortem of one incident, built from its journal records: what managers read after the fact. The
/// JSON form is the model; `PostmortemText` renders it as Markdown or HTML. What a viewer sees follows
/// `Visibility`: reporters' names for managers only.
public enum Postmortem {
    /// `records`: every record about the incident, in order. `checkpoint`: the first signed checkpoint after
    /// the last of them (seq, covers_seq, key_id), if the journal is sealed that far.
    public static func build(incident inc: IncidentState, records: [ReviewRecord], checkpoint: ReviewRecord?, viewer: Actor,
                             now: Timestamp) -> JSONValue {
        let events = records.compactMap { r in Visibility.event(r.event, for: viewer).map { (r, $0) } }
        var o: [String: JSONValue] = [
            "incident": .string(inc.id), "title": .string(inc.plan.title), "playbook": .string(inc.plan.playbook),
            "status": .string(inc.status.rawValue), "severity": .string(inc.severity.rawValue), "url": .string(inc.canonicalURL),
            "opened_at": .string(inc.openedAt.rfc3339), "generated_at": .string(now.rfc3339), "viewer": .string(viewer.id),
        ]
        if let p = inc.platform { o["platform"] = .string(p) }
        if let c = inc.category { o["category"] = .string(c) }
        if let s = inc.summary { o["summary"] = .string(s) }
        if let l = inc.linkedTo { o["linked_to"] = .string(l) }
        if let a = inc.acknowledgedAt {
            o["acknowledged_at"] = .string(a.rfc3339)
            o["time_to_acknowledge_ms"] = .int(a.millisecondsSinceEpoch - inc.openedAt.millisecondsSinceEpoch)
        }
        if let r = inc.resolvedAt {
            o["resolved_at"] = .string(r.rfc3339)
            o["time_to_resolve_ms"] = .int(r.millisecondsSinceEpoch - inc.openedAt.millisecondsSinceEpoch)
        }
        if let c = inc.closedAt { o["closed_at"] = .string(c.rfc3339) }

        var severity: [JSONValue] = []
        var timeline: [JSONValue] = []
        var escalations: [JSONValue] = []
        var notifications: [String: [String: JSONValue]] = [:]
        var notificationOrder: [String] = []
        var reports: [JSONValue] = []
        var notes: [JSONValue] = []
        var skipped: [String: String] = [:]
        var abandoned: Set<String> = []
        var doneFor: [String: String] = [:]
        for (r, e) in events {
            timeline.append(["seq": .int(Int64(r.seq)), "time": .string(e.time.rfc3339), "actor": .string(e.actor),
                             "type": .string(e.type), "text": .string(Describe.event(e))])
            let time = JSONValue.string(e.time.rfc3339)
            switch e.body {
            case .incidentOpened(let o):
                severity.append(["time": time, "to": .string(o.severity.rawValue), "reason": .string("the playbook's severity")])
            case .severityRaised(let raised):
                severity.append(["time": time, "from": json(raised.from?.rawValue), "to": json(raised.to?.rawValue), "reason": json(raised.reason)])
            case .escalation(let x):
                escalations.append(["time": time, "to": json(x.to), "level": x.level.map(JSONValue.int) ?? .null, "step": json(x.step),
                                    "reason": json(x.reason), "manual": .bool(x.manual), "by": .string(e.actor)])
            case .notificationRequested(let n):
                notificationOrder.append(n.id)
                notifications[n.id] = ["id": .string(n.id), "time": time, "to": .string(n.to), "kind": .string(n.kind.rawValue),
                                       "step": json(n.step), "status": "pending", "attempts": 0]
            case .notificationSent(let n):
                // "sent" only when a channel took it; a person with no usable contact is logged in journald,
                // which no one is paged by.
                notifications[n.id]?["status"] = n.channel == "journald" ? "not sent: no contact, logged in journald" : "sent"
                notifications[n.id]?["channel"] = json(n.channel)
                notifications[n.id]?["sent_at"] = time
                notifications[n.id]?["attempts"] = n.attempt.map(JSONValue.int) ?? .null
            case .notificationFailed(let n):
                notifications[n.id]?["attempts"] = n.attempt.map(JSONValue.int) ?? .null
                notifications[n.id]?["error"] = json(n.error)
                if n.final { notifications[n.id]?["status"] = "unreachable" }
            case .reportReceived(let report):
                var rep: [String: JSONValue] = ["time": time]
                if let v = report.report { rep["report"] = .string(v) }
                if let v = report.reporter { rep["reporter"] = .string(v) }
                if let v = report.text { rep["text"] = .string(v) }
                if let v = report.note { rep["note"] = .string(v) }
                if let v = report.views { rep["views"] = .int(v) }
                if let v = report.shares { rep["shares"] = .int(v) }
                if !report.evidence.isEmpty { rep["evidence"] = .array(report.evidence.map(\.json)) }
                if let v = report.url { rep["url"] = .string(v) }
                reports.append(.object(rep))
            case .note(let n):
                notes.append(["time": time, "by": .string(e.actor), "text": json(n.text)])
            case .stepSkipped(let skip):
                skipped[skip.step] = skip.reason ?? ""
                if skip.abandoned { abandoned.insert(skip.step) }
            case .stepDone(let done):
                if let owner = done.doneFor { doneFor[done.step] = owner }
            default:
                break
            }
        }
        o["severity_history"] = .array(severity)
        o["timeline"] = .array(timeline)
        o["escalations"] = .array(escalations)
        o["notifications"] = .array(notificationOrder.compactMap { notifications[$0].map(JSONValue.object) })
        o["reports"] = .array(reports)
        o["notes"] = .array(notes)
        o["steps"] = .array(inc.steps.indices.map { i in
            let s = inc.steps[i], plan = inc.plan.steps[i]
            var step: [String: JSONValue] = ["id": .string(plan.id), "title": .string(plan.title), "role": .string(plan.owner),
                                             "status": .string(s.status.rawValue), "due": .string(s.due.rfc3339)]
            if let owner = s.owner { step["owner"] = .string(owner) }
            if let f = s.finishedAt {
                step["finished_at"] = .string(f.rfc3339)
                if s.status == .done {
                    let late = f.millisecondsSinceEpoch - s.due.millisecondsSinceEpoch
                    step["on_time"] = .bool(late <= 0)
                    if late > 0 { step["late_by_ms"] = .int(late) }
                }
            } else if s.isOverdue(at: now) {
                step["on_time"] = false
                step["late_by_ms"] = .int(now.millisecondsSinceEpoch - s.due.millisecondsSinceEpoch)
            }
            if let why = skipped[plan.id] { step["skipped_reason"] = .string(why) }
            if abandoned.contains(plan.id) { step["abandoned"] = true }
            if let owner = doneFor[plan.id] { step["done_for"] = .string(owner) }
            return .object(step)
        })
        if let first = records.first, let last = records.last {
            var proof: [String: JSONValue] = ["first_seq": .int(Int64(first.seq)), "first_hash": .string(first.hash),
                                              "last_seq": .int(Int64(last.seq)), "last_hash": .string(last.hash), "records": .int(Int64(records.count))]
            if let c = checkpoint {
                proof["checkpoint"] = ["seq": .int(Int64(c.seq)), "covers_seq": c.event.data["covers_seq"] ?? .null,
                                       "key_id": c.event.data["key_id"] ?? .null, "hash": .string(c.hash)]
            } else {
                proof["checkpoint"] = .null
            }
            o["proof"] = .object(proof)
        }
        return .object(o)
    }
}

private func json(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

/// Journal records in plain words, for timelines. A member a record lacks reads as nothing; `null` where the
/// record says so (a step handed over from nobody).
public enum Describe {
    public static func event(_ e: Event) -> String {
        let step = e.step.map { " \($0)" } ?? ""
        let by = e.actor
        switch e.body {
        case .incidentOpened(let o): return "Opened with playbook \(o.plan.plan.title) at severity \(o.severity.rawValue): \(o.reason ?? "")"
        case .reportReceived(let r):
            let who = r.reporter.map { " from \($0)" } ?? ""
            return "Report \(r.report ?? "")\(who)" + (r.text.map { ": “\(IncidentState.shorten($0, to: 200))”" } ?? "")
        case .severityRaised(let r): return "Severity raised from \(r.from?.rawValue ?? "") to \(r.to?.rawValue ?? "") (\(r.reason ?? ""))"
        case .stepReady(let r):
            return "Step\(step) ready for \(r.owner ?? "nobody (no one holds \(r.role ?? ""))"), due \(r.due?.readable ?? "")"
        case .stepAcknowledged: return "\(by) acknowledged step\(step)"
        case .stepDone(let d): return "\(by) finished step\(step)" + (d.onTime == false ? " (late)" : "") + (d.note.map { ": \($0)" } ?? "")
        case .stepSkipped(let s): return "\(by) skipped step\(step): \(s.reason ?? "")"
        case .stepAssigned(let a): return "\(by) handed step\(step) from \(a.from ?? "null") to \(a.to ?? "")"
        case .stepReminded(let r): return "Reminder: step\(step) is due at \(r.due?.rfc3339 ?? "")"
        case .stepMissed(let m): return "Step\(step) missed its deadline of \(m.due?.rfc3339 ?? "")"
        case .escalation(let x):
            return (x.manual ? "\(by) escalated" : "Escalated (level \(x.level.map(String.init) ?? ""))") + step + " to \(x.to ?? "nobody"): \(x.reason ?? "")"
        case .incidentAcknowledged: return "\(by) acknowledged the incident"
        case .ackMissed(let m): return "Not acknowledged by \(m.due?.rfc3339 ?? "")"
        case .incidentResolved(let r): return "\(by) resolved it: \(r.summary ?? "")"
        case .incidentClosed(let c): return "\(by) closed it after review" + (c.reason.map { ": \($0)" } ?? "")
        case .incidentReopened(let r): return "\(by) reopened it: \(r.reason ?? "")"
        case .note(let n): return "Note by \(by): \(n.text ?? "")"
        case .notificationRequested(let n): return "Asked to tell \(n.to) (\(n.kind.rawValue))"
        case .notificationSent(let n):
            if n.channel == "journald" { return "Could not tell \(n.to ?? ""): no contact to reach them on; logged in journald only" }
            return "Told \(n.to ?? "") by \(n.channel ?? "")" + (n.digest != nil ? " (in a digest)" : "")
        case .notificationFailed(let n):
            return "Could not tell \(n.to ?? "") (attempt \(n.attempt.map(String.init) ?? ""): \(n.error ?? ""))" + (n.final ? "; \(n.escalatedTo ?? "nobody") is told instead" : "")
        case .notificationLinkUsed, .reportRejected, .rosterOverride, .other: return e.type
        }
    }
}
