import FirebreakCore

/// An operation's `args` on the wire (docs/socket-protocol.md, "Operations"), both ways: the command line
/// encodes, the socket and the JSON API decode, and the checks of every argument live here once.
extension ControlOperation {
    /// The request's `args` object.
    public var args: JSONValue {
        var o: [String: JSONValue] = [:]
        func put(_ key: String, _ value: String?) { if let value { o[key] = .string(value) } }
        switch self {
        case .whoami, .webLogin:
            break
        case .report(let report, let key, let files):
            o["report"] = report.json
            put("key", key)
            if !files.isEmpty { o["evidence"] = .array(files.map { ["name": .string($0)] }) }
        case .postmortem(let inc), .show(let inc):
            put("incident", inc)
        case .metrics(let since, let until):
            put("since", since?.rfc3339)
            put("until", until?.rfc3339)
        case .evidence(let inc, let sha):
            put("incident", inc)
            put("sha256", sha)
        case .incidents(let f):
            o = ["mine": .bool(f.mine), "open": .bool(f.open), "overdue": .bool(f.overdue), "limit": .int(Int64(f.limit))]
            if !f.status.isEmpty { o["status"] = .array(f.status.map { .string($0) }) }
            put("playbook", f.playbook)
            put("category", f.category)
            put("severity", f.severity)
            put("owner", f.owner)
            put("since", f.since?.rfc3339)
            put("until", f.until?.rfc3339)
            put("text", f.text)
            put("before", f.before)
            put("after", f.after)
        case .reports(let file):
            put("file", file)
        case .onCall(let role):
            put("role", role)
        case .override(let role, let person, let until, let reason):
            o = ["role": .string(role), "person": .string(person), "until": .string(until.rfc3339)]
            put("reason", reason)
        case .ack(let inc, let step):
            put("incident", inc)
            put("step", step)
        case .done(let inc, let step, let note):
            o = ["incident": .string(inc), "step": .string(step)]
            put("note", note)
        case .skip(let inc, let step, let reason):
            o = ["incident": .string(inc), "step": .string(step), "reason": .string(reason)]
        case .assign(let inc, let step, let to):
            o = ["incident": .string(inc), "step": .string(step), "to": .string(to)]
        case .escalate(let inc, let step, let reason):
            o = ["incident": .string(inc), "reason": .string(reason)]
            put("step", step)
        case .resolve(let inc, let summary, let abandon):
            o = ["incident": .string(inc), "summary": .string(summary), "abandon_open_steps": .bool(abandon)]
        case .close(let inc, let reason):
            put("incident", inc)
            put("reason", reason)
        case .reopen(let inc, let reason):
            o = ["incident": .string(inc), "reason": .string(reason)]
        case .note(let inc, let text):
            o = ["incident": .string(inc), "text": .string(text)]
        }
        return .object(o)
    }

    /// Decodes `op` and its `args`, naming the argument that is missing or wrong. An incident may be written
    /// `INC-7`, `inc-7`, `7` or `#7`; it comes out canonical. `admit` may refuse the operation by its name
    /// before its arguments are read (the daemon: who may ask it at all).
    public init(op: String, args: JSONValue, admit: (Name) -> ProtocolError? = { _ in nil }) throws(ProtocolError) {
        guard let name = Name(rawValue: op) else { throw ProtocolError(.unknownOp, "unknown operation \"\(op)\"") }
        if let refusal = admit(name) { throw refusal }
        let a = Arguments(op: op, args: args)
        switch name {
        case .whoami: self = .whoami
        case .webLogin: self = .webLogin
        case .report:
            let report: Report
            do { report = try Report(json: args["report"] ?? .null) } catch {
                throw ProtocolError(.invalidReport, "report \(error.field): \(error.reason)")
            }
            var files: [String] = []
            for (i, item) in (args["evidence"]?.arrayValue ?? []).enumerated() {
                guard let file = item["name"]?.stringValue else { throw ProtocolError(.badRequest, "evidence[\(i)] needs a \"name\"") }
                files.append(file)
            }
            self = .report(report, key: try a.text("key"), files: files)
        case .postmortem: self = .postmortem(incident: try a.required("incident"))
        case .show: self = .show(incident: try a.required("incident"))
        case .metrics: self = try .metrics(sinceText: a.text("since"), untilText: a.text("until"))
        case .evidence: self = .evidence(incident: try a.required("incident"), sha256: try a.required("sha256").lowercased())
        case .incidents:
            let limit = args["limit"]?.intValue ?? Int64(IncidentFilter.defaultLimit)
            guard limit >= 0 else { throw ProtocolError(.badRequest, "\"limit\" must be 0 or more") }
            var status: [String] = []
            if let v = args["status"], v != .null {
                guard let list = v.arrayValue?.compactMap(\.stringValue), list.count == v.arrayValue?.count else {
                    throw ProtocolError(.badRequest, "\"status\" must be a list of statuses")
                }
                for s in list where !IncidentFilter.statuses.contains(s) {
                    throw ProtocolError(.badRequest, "\"status\": there is no status \(s); the statuses are \(IncidentFilter.statuses.joined(separator: ", "))")
                }
                status = list
            }
            let severity = try a.text("severity")
            if let severity, Severity(rawValue: severity) == nil {
                throw ProtocolError(.badRequest, "\"severity\": there is no severity \(severity); the severities are \(Severity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let since = try Self.date(a.text("since"), "since"), until = try Self.date(a.text("until"), "until")
            self = .incidents(IncidentFilter(mine: args["mine"]?.boolValue ?? false, open: args["open"]?.boolValue ?? false,
                                             overdue: args["overdue"]?.boolValue ?? false, status: status,
                                             playbook: try a.text("playbook"), category: try a.text("category"), severity: severity,
                                             owner: try a.text("owner"), since: since, until: until, text: try a.text("text"),
                                             before: try a.text("before").map(EngineState.canonicalIncidentID),
                                             after: try a.text("after").map(EngineState.canonicalIncidentID), limit: Int(clamping: limit)))
        case .reports: self = .reports(file: try a.text("file"))
        case .oncall: self = .onCall(role: try a.text("role"))
        case .override:
            guard let until = Timestamp(rfc3339: try a.required("until")) else {
                throw ProtocolError(.badRequest, "\"until\" must be an RFC 3339 time")
            }
            self = .override(role: try a.required("role"), person: try a.required("person"), until: until, reason: try a.text("reason"))
        case .ack: self = .ack(incident: try a.required("incident"), step: try a.text("step"))
        case .done: self = .done(incident: try a.required("incident"), step: try a.required("step"), note: try a.text("note"))
        case .skip: self = .skip(incident: try a.required("incident"), step: try a.required("step"), reason: try a.required("reason"))
        case .assign: self = .assign(incident: try a.required("incident"), step: try a.required("step"), to: try a.required("to"))
        case .escalate: self = .escalate(incident: try a.required("incident"), step: try a.text("step"), reason: try a.required("reason"))
        case .resolve:
            self = .resolve(incident: try a.required("incident"), summary: try a.required("summary"),
                            abandonOpenSteps: args["abandon_open_steps"]?.boolValue ?? false)
        case .close: self = .close(incident: try a.required("incident"), reason: try a.text("reason"))
        case .reopen: self = .reopen(incident: try a.required("incident"), reason: try a.required("reason"))
        case .note: self = .note(incident: try a.required("incident"), text: try a.required("text"))
        }
    }
}

extension ControlOperation {
    /// `metrics` with its dates as people write them: a date (2026-11-01, the start of that day in UTC) or an
    /// RFC 3339 time.
    public static func metrics(sinceText since: String?, untilText until: String?) throws(ProtocolError) -> ControlOperation {
        .metrics(since: try date(since, "since"), until: try date(until, "until"))
    }

    /// A date (2026-11-01, midnight UTC) or an RFC 3339 time, as `since` and `until` take them.
    static func date(_ text: String?, _ argument: String) throws(ProtocolError) -> Timestamp? {
        guard let text else { return nil }
        guard let t = Timestamp(rfc3339: text) ?? Timestamp(rfc3339: text + "T00:00:00Z") else {
            throw ProtocolError(.badRequest, "\"\(argument)\" must be a date (2026-11-01) or an RFC 3339 time")
        }
        return t
    }
}

/// An operation's arguments as they came, read one by one with the reason each is refused.
private struct Arguments {
    let op: String
    let args: JSONValue

    /// A string argument, or nil when it is absent or null.
    func text(_ key: String) throws(ProtocolError) -> String? {
        guard let v = args[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw ProtocolError(.badRequest, "\"\(key)\" must be a string") }
        return key == "incident" ? EngineState.canonicalIncidentID(s) : s
    }

    func required(_ key: String) throws(ProtocolError) -> String {
        guard let s = try text(key) else { throw ProtocolError(.badRequest, "\(op) needs \"\(key)\"") }
        return s
    }
}
