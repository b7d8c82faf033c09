/// Events about no incident: a spool file refused at intake, and a person put on a role for a while.

/// A spool file refused by the daemon's intake; the file is in `rejected/` with its reason.
public struct ReportRejected: Sendable, Hashable {
    static let type = EventType.reportRejected
    public var file: String?
    public var owner: String?
    public var field: String?
    public var reason: String?

    init?(_ r: V1Fields) {
        file = r.string("file")
        owner = r.string("owner")
        field = r.string("field")
        reason = r.string("reason")
    }

    public init(file: String, owner: String, field: String, reason: String) {
        self.file = file
        self.owner = owner
        self.field = field
        self.reason = reason
    }

    func write(_ w: inout V1Members) {
        w.put("file", file)
        w.put("owner", owner)
        w.put("field", field)
        w.put("reason", reason)
    }
}

/// A person put on a role until a time (`firebreak override`), over what the roster file says.
public struct RosterOverride: Sendable, Hashable {
    static let type = EventType.rosterOverride
    public var role: String
    public var person: String
    public var from: Timestamp
    public var until: Timestamp
    /// Who held the role before; nil when nobody did: the v1 line says `null`.
    public var was: String?
    public var reason: String?

    init?(_ r: V1Fields) {
        guard let role = r.string("role"), let person = r.string("person"), let from = r.time("from"),
              let until = r.time("until") else { return nil }
        self.init(role: role, person: person, from: from, until: until, was: r.string("was"), reason: r.string("reason"))
    }

    init(role: String, person: String, from: Timestamp, until: Timestamp, was: String?, reason: String?) {
        self.role = role
        self.person = person
        self.from = from
        self.until = until
        self.was = was
        self.reason = reason
    }

    func write(_ w: inout V1Members) {
        w.put("role", role)
        w.put("person", person)
        w.put("from", from)
        w.put("until", until)
        w.putOrNull("was", was)
        w.put("reason", reason)
    }
}
