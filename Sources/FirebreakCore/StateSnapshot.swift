/// The engine's state as one JSON value, so that a restart can start from it and replay only the records after
/// it instead of the whole journal (DESIGN.md: "replays it, from a snapshot where one exists").
///
/// Incidents and steps are positional arrays, not objects: a snapshot of a hundred thousand incidents parses
/// about twice as fast without a key per field, and the format is private to the daemon (versioned, and any
/// snapshot that does not read back is ignored in favour of a full replay). The indexes that follow from the
/// incidents (active and latest incident per post, the deadline queue) are rebuilt, not stored.
public enum StateSnapshot {
    public static let version: Int64 = 1

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    public static func json(_ s: EngineState) -> JSONValue {
        var planIndex: [ObjectIdentifier: Int] = [:]
        for (i, p) in s.plans.enumerated() { planIndex[ObjectIdentifier(p)] = i }
        // Incidents in number order: the same state always gives the same bytes.
        let ordered = s.incidents.values.sorted { (EngineState.incidentNumber($0.id) ?? 0) < (EngineState.incidentNumber($1.id) ?? 0) }
        var top: [String: JSONValue] = [
            "version": .int(version),
            "incident_count": .int(Int64(s.incidentCount)),
            "report_count": .int(Int64(s.reportCount)),
            "plans": .array(s.plans.map(PlanCoding.json)),
            "incidents": .array(ordered.map { incident($0, plan: planIndex[ObjectIdentifier($0.plan)] ?? -1) }),
            "report_keys": .object(s.reportKeys.mapValues { .string($0) }),
            "outbox": .array(s.outbox.values.sorted { $0.id < $1.id }.map(notification)),
        ]
        // Only when there are any: a state without them gives the bytes it always gave.
        if !s.overrides.isEmpty {
            top["overrides"] = .array(s.overrides.map { o in
                .array([.string(o.role), .string(o.person), .string(o.from.rfc3339), .string(o.until.rfc3339), o.reason.map { .string($0) } ?? .null])
            })
        }
        return .object(top)
    }

    public static func state(_ v: JSONValue) throws(Problem) -> EngineState {
        guard v["version"]?.intValue == version else { throw Problem("snapshot version \(v["version"].map { "\($0)" } ?? "missing"), this daemon reads \(version)") }
        var s = EngineState()
        guard let incidentCount = v["incident_count"]?.intValue, let reportCount = v["report_count"]?.intValue,
              let plans = v["plans"]?.arrayValue, let incidents = v["incidents"]?.arrayValue,
              let keys = v["report_keys"]?.objectValue, let outbox = v["outbox"]?.arrayValue
        else { throw Problem("a top-level field is missing") }
        s.incidentCount = Int(incidentCount)
        s.reportCount = Int(reportCount)
        for p in plans {
            guard let plan = PlanCoding.plan(p) else { throw Problem("a plan does not read back") }
            s.plans.append(plan)
        }
        s.incidents.reserveCapacity(incidents.count)
        for value in incidents {
            let inc = try incident(value, plans: s.plans)
            s.incidents[inc.id] = inc
            if inc.isActive { s.activeByURL[inc.canonicalURL] = inc.id }
            if let latest = s.latestByURL[inc.canonicalURL], (EngineState.incidentNumber(latest) ?? 0) > (EngineState.incidentNumber(inc.id) ?? 0) {
                continue
            }
            s.latestByURL[inc.canonicalURL] = inc.id
        }
        s.reportKeys.reserveCapacity(keys.count)
        for (key, id) in keys {
            guard let id = id.stringValue else { throw Problem("report key \(key) has no incident") }
            s.reportKeys[key] = id
        }
        for value in outbox {
            let n = try notification(value)
            s.outbox[n.id] = n
        }
        for value in v["overrides"]?.arrayValue ?? [] {
            guard let f = value.arrayValue, f.count == 5, let role = f[0].stringValue, let person = f[1].stringValue,
                  let from = f[2].stringValue.flatMap({ Timestamp(rfc3339: $0) }), let until = f[3].stringValue.flatMap({ Timestamp(rfc3339: $0) })
            else { throw Problem("an override does not read back") }
            s.overrides.append(Roster.Override(role: role, person: person, from: from, until: until, reason: f[4].stringValue))
        }
        s.rearm(s.incidents.keys)
        return s
    }

    // MARK: Incidents

    private static func incident(_ i: IncidentState, plan: Int) -> JSONValue {
        .array([
            .string(i.id), .string(i.url), .string(i.canonicalURL), opt(i.platform), opt(i.category), .int(Int64(plan)),
            .string(i.severity.rawValue), .string(i.status.rawValue), time(i.openedAt), time(i.acknowledgedAt), time(i.resolvedAt),
            time(i.closedAt), opt(i.summary), time(i.ackDue), .bool(i.ackMissed), .int(Int64(i.ackEscalations)), .int(Int64(i.reportCount)),
            .array(i.reporters.map { .string($0) }), .array(i.evidence.map(\.json)), .int(i.views), .int(i.shares),
            .array(i.steps.map(step)), opt(i.linkedTo), .int(Int64(i.noteCount)), .int(Int64(i.notificationCount)), opt(i.postText),
        ])
    }

    private static func incident(_ v: JSONValue, plans: [Plan]) throws(Problem) -> IncidentState {
        guard let f = v.arrayValue, f.count == 26 else { throw Problem("an incident is not an array of 26 fields") }
        guard let id = f[0].stringValue, let url = f[1].stringValue, let canonical = f[2].stringValue,
              let planIndex = f[5].intValue, planIndex >= 0, planIndex < plans.count,
              let severity = f[6].stringValue.flatMap(Severity.init(rawValue:)),
              let status = f[7].stringValue.flatMap(IncidentState.Status.init(rawValue:)),
              let openedAt = time(f[8]), let ackDue = time(f[13]), let ackMissed = f[14].boolValue,
              let ackEscalations = f[15].intValue, let reportCount = f[16].intValue,
              let reporters = f[17].arrayValue, let evidence = f[18].arrayValue, let views = f[19].intValue, let shares = f[20].intValue,
              let steps = f[21].arrayValue, let noteCount = f[23].intValue, let notificationCount = f[24].intValue
        else { throw Problem("incident \(f[0].stringValue ?? "?") has a field of the wrong kind") }
        let plan = plans[Int(planIndex)]
        guard steps.count == plan.steps.count else { throw Problem("incident \(id) has \(steps.count) steps, its plan \(plan.steps.count)") }
        var inc = IncidentState(
            id: id, url: url, canonicalURL: canonical, platform: f[3].stringValue, category: f[4].stringValue, plan: plan,
            severity: severity, status: status, openedAt: openedAt, ackDue: ackDue, steps: try steps.map(step), linkedTo: f[22].stringValue)
        inc.acknowledgedAt = time(f[9])
        inc.resolvedAt = time(f[10])
        inc.closedAt = time(f[11])
        inc.summary = f[12].stringValue
        inc.ackMissed = ackMissed
        inc.ackEscalations = Int(ackEscalations)
        inc.reportCount = Int(reportCount)
        inc.reporters = reporters.compactMap(\.stringValue)
        inc.evidence = evidence.compactMap(Evidence.init(json:))
        inc.views = views
        inc.shares = shares
        inc.noteCount = Int(noteCount)
        inc.notificationCount = Int(notificationCount)
        inc.postText = f[25].stringValue
        return inc
    }

    private static func step(_ s: StepState) -> JSONValue {
        .array([.string(s.status.rawValue), opt(s.owner), time(s.due), time(s.readyAt), time(s.finishedAt),
                .int(Int64(s.escalations)), .bool(s.reminded), .bool(s.missed)] + (s.doneByOther ? [.bool(true)] : []))
    }

    private static func step(_ v: JSONValue) throws(Problem) -> StepState {
        // A ninth field, present only when true, marks a step done by someone other than its owner (snapshots
        // written before it read back as they were).
        guard let f = v.arrayValue, f.count == 8 || f.count == 9, let status = f[0].stringValue.flatMap(StepState.Status.init(rawValue:)),
              let due = time(f[2]), let escalations = f[5].intValue, let reminded = f[6].boolValue, let missed = f[7].boolValue
        else { throw Problem("a step does not read back") }
        var s = StepState(status: status, due: due)
        s.owner = f[1].stringValue
        s.readyAt = time(f[3])
        s.finishedAt = time(f[4])
        s.escalations = Int32(clamping: escalations)
        s.reminded = reminded
        s.missed = missed
        s.doneByOther = f.count == 9 && f[8].boolValue == true
        return s
    }

    // MARK: Outbox

    private static func notification(_ n: PendingNotification) -> JSONValue {
        .array([.string(n.id), .string(n.incident), .string(n.to), .string(n.kind.rawValue), opt(n.step), .string(n.reason),
                time(n.queuedAt), .int(Int64(n.attempts)), time(n.nextAttempt), .int(Int64(n.hops))])
    }

    private static func notification(_ v: JSONValue) throws(Problem) -> PendingNotification {
        guard let f = v.arrayValue, f.count == 10, let id = f[0].stringValue, let incident = f[1].stringValue, let to = f[2].stringValue,
              let kind = f[3].stringValue, let reason = f[5].stringValue, let queuedAt = time(f[6]), let attempts = f[7].intValue,
              let next = time(f[8]), let hops = f[9].intValue
        else { throw Problem("a pending notification does not read back") }
        return PendingNotification(id: id, incident: incident, to: to, kind: NotificationKind(rawValue: kind), step: f[4].stringValue, reason: reason,
                                   queuedAt: queuedAt, attempts: Int(attempts), nextAttempt: next, hops: Int(hops))
    }

    // MARK: Values

    private static func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    private static func time(_ t: Timestamp?) -> JSONValue { t.map { .int($0.millisecondsSinceEpoch) } ?? .null }
    private static func time(_ v: JSONValue) -> Timestamp? { v.intValue.map(Timestamp.init(millisecondsSinceEpoch:)) }
}
