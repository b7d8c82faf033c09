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
            let d = e.data
            timeline.append(["seq": .int(Int64(r.seq)), "time": .string(e.time.rfc3339), "actor": .string(e.actor),
                             "type": .string(e.type), "text": .string(Describe.event(e))])
            switch e.type {
            case EventType.incidentOpened:
                severity.append(["time": .string(e.time.rfc3339), "to": d["severity"] ?? .null, "reason": .string("the playbook's severity")])
            case EventType.severityRaised:
                severity.append(["time": .string(e.time.rfc3339), "from": d["from"] ?? .null, "to": d["to"] ?? .null, "reason": d["reason"] ?? .null])
            case EventType.escalation:
                escalations.append(["time": .string(e.time.rfc3339), "to": d["to"] ?? .null, "level": d["level"] ?? .null, "step": d["step"] ?? .null,
                                    "reason": d["reason"] ?? .null, "manual": .bool(d["manual"]?.boolValue == true), "by": .string(e.actor)])
            case EventType.notification:
                guard let id = d["id"]?.stringValue else { break }
                notificationOrder.append(id)
                notifications[id] = ["id": .string(id), "time": .string(e.time.rfc3339), "to": d["to"] ?? .null, "kind": d["kind"] ?? .null,
                                     "step": d["step"] ?? .null, "status": "pending", "attempts": 0]
            case EventType.notificationSent:
                guard let id = d["id"]?.stringValue else { break }
                // "sent" only when a channel took it; a person with no usable contact is logged in journald,
                // which no one is paged by.
                notifications[id]?["status"] = d["channel"] == "journald" ? "not sent: no contact, logged in journald" : "sent"
                notifications[id]?["channel"] = d["channel"] ?? .null
                notifications[id]?["sent_at"] = .string(e.time.rfc3339)
                notifications[id]?["attempts"] = d["attempt"] ?? .null
            case EventType.notificationFailed:
                guard let id = d["id"]?.stringValue else { break }
                notifications[id]?["attempts"] = d["attempt"] ?? .null
                notifications[id]?["error"] = d["error"] ?? .null
                if d["final"]?.boolValue == true { notifications[id]?["status"] = "unreachable" }
            case EventType.reportReceived:
                var rep: [String: JSONValue] = ["time": .string(e.time.rfc3339)]
                for key in ["report", "reporter", "text", "note", "views", "shares", "evidence", "url"] { if let v = d[key] { rep[key] = v } }
                reports.append(.object(rep))
            case EventType.note:
                notes.append(["time": .string(e.time.rfc3339), "by": .string(e.actor), "text": d["text"] ?? .null])
            case EventType.stepSkipped:
                if let s = d["step"]?.stringValue {
                    skipped[s] = d["reason"]?.stringValue ?? ""
                    if d["abandoned"]?.boolValue == true { abandoned.insert(s) }
                }
            case EventType.stepDone:
                if let s = d["step"]?.stringValue, let owner = d["done_for"]?.stringValue { doneFor[s] = owner }
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

/// Journal records in plain words, for timelines.
public enum Describe {
    public static func event(_ e: Event) -> String {
        let d = e.data
        func s(_ k: String) -> String { d[k]?.stringValue ?? d[k].map { $0.jsonText } ?? "" }
        let step = d["step"]?.stringValue.map { " \($0)" } ?? ""
        switch e.type {
        case EventType.incidentOpened: return "Opened with playbook \(d["plan"]?["playbook_title"]?.stringValue ?? s("playbook")) at severity \(s("severity")): \(s("reason"))"
        case EventType.reportReceived:
            let who = d["reporter"]?.stringValue.map { " from \($0)" } ?? ""
            return "Report \(s("report"))\(who)" + (d["text"]?.stringValue.map { ": “\(IncidentState.shorten($0, to: 200))”" } ?? "")
        case EventType.severityRaised: return "Severity raised from \(s("from")) to \(s("to")) (\(s("reason")))"
        case EventType.stepReady:
            let due = d["due"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }?.readable ?? s("due")
            return "Step\(step) ready for \(d["owner"]?.stringValue ?? "nobody (no one holds \(s("role")))"), due \(due)"
        case EventType.stepAcknowledged: return "\(e.actor) acknowledged step\(step)"
        case EventType.stepDone:
            return "\(e.actor) finished step\(step)" + (d["on_time"]?.boolValue == false ? " (late)" : "") + (d["note"]?.stringValue.map { ": \($0)" } ?? "")
        case EventType.stepSkipped: return "\(e.actor) skipped step\(step): \(s("reason"))"
        case EventType.stepAssigned: return "\(e.actor) handed step\(step) from \(s("from")) to \(s("to"))"
        case EventType.stepReminded: return "Reminder: step\(step) is due at \(s("due"))"
        case EventType.stepMissed: return "Step\(step) missed its deadline of \(s("due"))"
        case EventType.escalation:
            return (d["manual"]?.boolValue == true ? "\(e.actor) escalated" : "Escalated (level \(s("level")))") + step + " to \(d["to"]?.stringValue ?? "nobody"): \(s("reason"))"
        case EventType.incidentAcknowledged: return "\(e.actor) acknowledged the incident"
        case EventType.ackMissed: return "Not acknowledged by \(s("due"))"
        case EventType.incidentResolved: return "\(e.actor) resolved it: \(s("summary"))"
        case EventType.incidentClosed: return "\(e.actor) closed it after review" + (d["reason"]?.stringValue.map { ": \($0)" } ?? "")
        case EventType.incidentReopened: return "\(e.actor) reopened it: \(s("reason"))"
        case EventType.note: return "Note by \(e.actor): \(s("text"))"
        case EventType.notification: return "Asked to tell \(s("to")) (\(s("kind")))"
        case EventType.notificationSent:
            if d["channel"] == "journald" { return "Could not tell \(s("to")): no contact to reach them on; logged in journald only" }
            return "Told \(s("to")) by \(s("channel"))" + (d["digest"] != nil ? " (in a digest)" : "")
        case EventType.notificationFailed:
            return "Could not tell \(s("to")) (attempt \(s("attempt")): \(s("error")))" + (d["final"]?.boolValue == true ? "; \(d["escalated_to"]?.stringValue ?? "nobody") is told instead" : "")
        default: return e.type
        }
    }
}
