/// Events about an incident as a whole: a report joins it, it opens, rises, is acknowledged, resolved, closed,
/// reopened, and gains notes. Optional members are the ones a record may lack (an older or hand-written line);
/// the engine fills every member it has.

/// A report, attached to the incident it went to.
public struct ReportReceived: Sendable, Hashable {
    static let type = EventType.reportReceived
    public var incident: String
    public var report: String?
    public var url: String?
    public var canonicalURL: String?
    /// Who reported; nil once `Visibility` has taken it out for someone who may not see it.
    public var reporter: String?
    public var platform: String?
    public var category: String?
    public var author: String?
    public var text: String?
    public var note: String?
    public var views: Int64?
    public var shares: Int64?
    public var evidence: [Evidence] = []
    /// The intake key (spool file, request id) that makes filing it again a duplicate.
    public var key: String?
    public var newReporter: Bool?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        report = r.string("report")
        url = r.string("url")
        canonicalURL = r.string("canonical_url")
        reporter = r.string("reporter")
        platform = r.string("platform")
        category = r.string("category")
        author = r.string("author")
        text = r.string("text")
        note = r.string("note")
        views = r.int("views")
        shares = r.int("shares")
        evidence = r["evidence"]?.arrayValue?.compactMap(Evidence.init(json:)) ?? []
        key = r.string("key")
        newReporter = r.bool("new_reporter")
    }

    init(incident: String, report: String, url: String, canonicalURL: String, reporter: String) {
        self.incident = incident
        self.report = report
        self.url = url
        self.canonicalURL = canonicalURL
        self.reporter = reporter
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("report", report)
        w.put("url", url)
        w.put("canonical_url", canonicalURL)
        w.put("reporter", reporter)
        w.put("platform", platform)
        w.put("category", category)
        w.put("author", author)
        w.put("text", text)
        w.put("note", note)
        w.put("views", views)
        w.put("shares", shares)
        if !evidence.isEmpty { w.members["evidence"] = .array(evidence.map(\.json)) }
        w.put("key", key)
        w.put("new_reporter", newReporter)
    }
}

/// An incident opened from a playbook, carrying the whole plan so that replay and post-mortems never depend
/// on the playbook files as they are later.
public struct IncidentOpened: Sendable, Hashable {
    static let type = EventType.incidentOpened
    public var incident: String
    public var url: String
    public var canonicalURL: String
    public var plan: RecordedPlan
    public var severity: Severity
    public var ackDue: Timestamp
    /// Why this playbook was chosen.
    public var reason: String?
    public var platform: String?
    public var category: String?
    /// The incident before this one about the same post.
    public var linkedTo: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident"), let url = r.string("url"), let canonical = r.string("canonical_url"),
              let json = r[RecordedPlan.key], let plan = RecordedPlan(json: json),
              let severity = r.severity("severity"), let ackDue = r.time("ack_due") else { return nil }
        self.init(incident: incident, url: url, canonicalURL: canonical, plan: plan, severity: severity, ackDue: ackDue)
        reason = r.string("reason")
        platform = r.string("platform")
        category = r.string("category")
        linkedTo = r.string("linked_to")
    }

    init(incident: String, url: String, canonicalURL: String, plan: RecordedPlan, severity: Severity, ackDue: Timestamp) {
        self.incident = incident
        self.url = url
        self.canonicalURL = canonicalURL
        self.plan = plan
        self.severity = severity
        self.ackDue = ackDue
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("url", url)
        w.put("canonical_url", canonicalURL)
        w.members[RecordedPlan.key] = plan.json
        w.put("severity", severity)
        w.put("ack_due", ackDue)
        w.put("reason", reason)
        w.put("platform", platform)
        w.put("category", category)
        w.put("linked_to", linkedTo)
    }
}

/// A severity rule's threshold was reached: the incident rises and the steps gated on the new severity join.
public struct SeverityRaised: Sendable, Hashable {
    static let type = EventType.severityRaised
    public var incident: String
    public var from: Severity?
    public var to: Severity?
    public var reason: String?
    /// Steps that join the response.
    public var activated: [String] = []

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        from = r.severity("from")
        to = r.severity("to")
        reason = r.string("reason")
        activated = r.strings("activated") ?? []
    }

    init(incident: String, from: Severity, to: Severity, reason: String, activated: [String]) {
        self.incident = incident
        self.from = from
        self.to = to
        self.reason = reason
        self.activated = activated
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("from", from)
        w.put("to", to)
        w.put("reason", reason)
        w.members["activated"] = .array(activated.map(JSONValue.string))
    }
}

public struct IncidentAcknowledged: Sendable, Hashable {
    static let type = EventType.incidentAcknowledged
    public var incident: String

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
    }

    init(incident: String) { self.incident = incident }

    func write(_ w: inout V1Members) { w.put("incident", incident) }
}

/// Nobody acknowledged the incident by its deadline.
public struct AckMissed: Sendable, Hashable {
    static let type = EventType.ackMissed
    public var incident: String
    public var due: Timestamp?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        due = r.time("due")
    }

    init(incident: String, due: Timestamp) {
        self.incident = incident
        self.due = due
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("due", due)
    }
}

public struct IncidentResolved: Sendable, Hashable {
    static let type = EventType.incidentResolved
    public var incident: String
    /// What was done: it opens the post-mortem.
    public var summary: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        summary = r.string("summary")
    }

    init(incident: String, summary: String) {
        self.incident = incident
        self.summary = summary
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("summary", summary)
    }
}

public struct IncidentClosed: Sendable, Hashable {
    static let type = EventType.incidentClosed
    public var incident: String
    public var reason: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        reason = r.string("reason")
    }

    init(incident: String, reason: String?) {
        self.incident = incident
        self.reason = reason
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("reason", reason)
    }
}

public struct IncidentReopened: Sendable, Hashable {
    static let type = EventType.incidentReopened
    public var incident: String
    public var reason: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        reason = r.string("reason")
    }

    init(incident: String, reason: String) {
        self.incident = incident
        self.reason = reason
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("reason", reason)
    }
}

/// A responder's note (`firebreak note`).
public struct IncidentNote: Sendable, Hashable {
    static let type = EventType.note
    public var incident: String
    public var text: String?

    init?(_ r: V1Fields) {
        guard let incident = r.string("incident") else { return nil }
        self.incident = incident
        text = r.string("text")
    }

    init(incident: String, text: String) {
        self.incident = incident
        self.text = text
    }

    func write(_ w: inout V1Members) {
        w.put("incident", incident)
        w.put("text", text)
    }
}
