import FirebreakCore
import FirebreakReview
#if canImport(Glibc)
import Glibc
#endif

/// The operations of the control socket, each turned into an engine command or a query for the caller.
enum ControlRequests {
    struct Failure: Error {
        let code: String
        let message: String
    }

    /// A reply's result, and a descriptor to pass with it (a stored evidence file, opened read-only).
    struct Answer {
        var result: JSONValue
        var fd: Int32? = nil
    }

    /// `fds`: descriptors the caller passed with the request (evidence files for a report); the caller closes them.
    static func run(op: String, args: JSONValue, user: String, fds: [Int32] = [], desk: Desk, evidence: EvidenceStore,
                    web: WebSessions? = nil) async -> Result<Answer, Failure> {
        let actor = Actor.from(unixUser: user, roster: desk.roster)
        return await respond(to: prepare(op: op, args: args, user: user, fds: fds, actor: actor, evidence: evidence),
                             op: op, args: args, user: user, actor: actor, desk: desk, evidence: evidence, web: web)
    }

    /// The answer to a prepared request: a command decided and made durable at the desk and summed up, or a
    /// query asked.
    static func respond(to prepared: Result<Prepared, Failure>, op: String, args: JSONValue, user: String, actor: Actor, desk: Desk,
                        evidence: EvidenceStore, web: WebSessions?) async -> Result<Answer, Failure> {
        switch prepared {
        case .failure(let f): return .failure(f)
        case .success(.command(let command)):
            return await submit(command, by: actor, desk: desk).map { Answer(result: summary(of: $0, actor: actor)) }
        case .success(.query):
            return await query(op: op, args: args, user: user, actor: actor, desk: desk, evidence: evidence, web: web)
        }
    }

    enum Prepared {
        /// A change: its command, built without the desk.
        case command(Command)
        /// A question for the desk (`query`).
        case query
    }

    /// Builds the command of a request that changes something (storing the evidence files of a report), with no
    /// visit to the desk, so that it can run where the caller likes (the socket stores files off the desk's
    /// thread).
    static func prepare(op: String, args: JSONValue, user: String, fds: [Int32], actor: Actor, evidence: EvidenceStore) -> Result<Prepared, Failure> {
        guard fds.isEmpty || op == "report" else {
            return .failure(Failure(code: "bad-request", message: "files were passed with \"\(op)\", which takes none"))
        }
        let text = textArgument(op: op, args: args)
        do throws(Failure) {
            switch op {
            case "report":
                var report: Report
                do { report = try Report(json: args["report"] ?? .null) } catch {
                    return .failure(Failure(code: "invalid-report", message: "report \(error.field): \(error.reason)"))
                }
                report.attached = try attach(args: args, fds: fds, report: report, evidence: evidence)
                report.evidence = report.attached.map(\.name)
                return .success(.command(.report(report, key: try text("key", false).map { "socket:\(user):\($0)" })))
            case "ack":
                let inc = try text("incident", true)!
                return .success(.command(try text("step", false).map { .acknowledgeStep(incident: inc, step: $0) } ?? .acknowledge(incident: inc)))
            case "done": return .success(.command(.completeStep(incident: try text("incident", true)!, step: try text("step", true)!, note: try text("note", false))))
            case "skip": return .success(.command(.skipStep(incident: try text("incident", true)!, step: try text("step", true)!, reason: try text("reason", true)!)))
            case "assign": return .success(.command(.assignStep(incident: try text("incident", true)!, step: try text("step", true)!, to: try text("to", true)!)))
            case "escalate": return .success(.command(.escalate(incident: try text("incident", true)!, step: try text("step", false), reason: try text("reason", true)!)))
            case "resolve": return .success(.command(.resolve(incident: try text("incident", true)!, summary: try text("summary", true)!,
                                                              abandonOpenSteps: args["abandon_open_steps"]?.boolValue ?? false)))
            case "close": return .success(.command(.close(incident: try text("incident", true)!, reason: try text("reason", false))))
            case "reopen": return .success(.command(.reopen(incident: try text("incident", true)!, reason: try text("reason", true)!)))
            case "note": return .success(.command(.note(incident: try text("incident", true)!, text: try text("text", true)!)))
            case "override":
                guard let untilText = try text("until", true), let until = Timestamp(rfc3339: untilText) else {
                    throw Failure(code: "bad-request", message: "\"until\" must be an RFC 3339 time")
                }
                return .success(.command(.overrideRole(role: try text("role", true)!, person: try text("person", true)!, until: until, reason: try text("reason", false))))
            case "oncall": return .success(.query)
            case "whoami", "incidents", "show", "postmortem", "metrics", "evidence", "web-login", "reports": return .success(.query)
            default: return .failure(Failure(code: "unknown-op", message: "unknown operation \"\(op)\""))
            }
        } catch {
            return .failure(error)
        }
    }

    /// Decides, journals and syncs a command at the desk; the caller is answered once it is durable.
    static func submit(_ command: Command, by actor: Actor, desk: Desk) async -> Result<[Event], Failure> {
        do {
            return .success(try await desk.submit(command, by: actor))
        } catch let e as EngineError {
            var message = e.message
            if e.code == .duplicate, let inc = e.incident { message = "already reported: it went to \(inc)" }
            return .failure(Failure(code: e.code.rawValue, message: message))
        } catch {
            return .failure(Failure(code: "not-durable", message: "could not record it durably, so nothing was done: \(error)"))
        }
    }

    /// A string argument: `required` ones must be there.
    private static func textArgument(op: String, args: JSONValue) -> (String, Bool) throws(Failure) -> String? {
        { key, required throws(Failure) in
            guard let v = args[key], v != .null else {
                if required { throw Failure(code: "bad-request", message: "\(op) needs \"\(key)\"") }
                return nil
            }
            guard let s = v.stringValue else { throw Failure(code: "bad-request", message: "\"\(key)\" must be a string") }
            return key == "incident" ? EngineState.canonicalIncidentID(s) : s
        }
    }

    static func query(op: String, args: JSONValue, user: String, actor: Actor, desk: Desk, evidence: EvidenceStore,
                              web: WebSessions?) async -> Result<Answer, Failure> {
        let roster = desk.roster
        let textArgument = textArgument(op: op, args: args)
        func text(_ key: String, required: Bool = true) throws(Failure) -> String? { try textArgument(key, required) }
        do {
            switch op {
            case "web-login":
                guard let web else {
                    return .failure(Failure(code: "no-web", message: "the web pages are off (http: off); start firebreakd with --http 127.0.0.1:8080"))
                }
                let (url, session) = await web.issue(for: user)
                return .success(Answer(result: ["url": .string(url), "session": .string(session), "user": .string(user)]))
            case "whoami":
                var o: [String: JSONValue] = ["user": .string(user), "id": .string(actor.id), "access": .string(actor.access.rawValue)]
                if let p = roster.people[actor.id] { o["name"] = .string(p.name) }
                return .success(Answer(result: .object(o)))
            case "incidents":
                let list = await desk.incidents(for: actor, mine: args["mine"]?.boolValue ?? false, openOnly: args["open"]?.boolValue ?? false,
                                                overdueOnly: args["overdue"]?.boolValue ?? false, limit: Int(args["limit"]?.intValue ?? 200))
                return .success(Answer(result: .array(list)))
            case "show":
                do {
                    let id = try text("incident")!
                    let view = try await desk.view(id, for: actor)
                    let records = try await desk.reviewRecords(id)?.1.map(\.event) ?? []
                    return .success(Answer(result: IncidentView.withRecords(view, records, for: actor)))
                } catch let e as EngineError {
                    return .failure(Failure(code: e.code.rawValue, message: e.message))
                }
            case "postmortem":
                let id = try text("incident")!
                guard actor.access >= .responder else {
                    return .failure(Failure(code: EngineError.Code.forbidden.rawValue, message: "post-mortems are for responders and managers; \(actor.id) is a reporter"))
                }
                guard let (inc, records, checkpoint) = try await desk.reviewRecords(id) else {
                    return .failure(Failure(code: EngineError.Code.unknownIncident.rawValue, message: "there is no incident \(id); `firebreak incidents` lists them"))
                }
                var p = Postmortem.build(incident: inc, records: records, checkpoint: checkpoint, viewer: actor, now: await desk.now())
                // Where to check the proof, as this daemon keeps it: the commands the text prints must run.
                if case .object(var o) = p {
                    o["verify"] = ["journal": .string(desk.journalDirectory), "key": desk.publicKeyPath.map { .string($0) } ?? .null]
                    p = .object(o)
                }
                return .success(Answer(result: p))
            case "metrics":
                guard actor.access >= .responder else {
                    return .failure(Failure(code: EngineError.Code.forbidden.rawValue, message: "metrics are for responders and managers; \(actor.id) is a reporter"))
                }
                func time(_ key: String) throws(Failure) -> Timestamp? {
                    guard let t = try text(key, required: false) else { return nil }
                    guard let ts = Timestamp(rfc3339: t) ?? Timestamp(rfc3339: t + "T00:00:00Z") else {
                        throw Failure(code: "bad-request", message: "\"\(key)\" must be a date (2026-11-01) or an RFC 3339 time")
                    }
                    return ts
                }
                let since = try time("since"), until = try time("until")
                return .success(Answer(result: Metrics.compute(await desk.allIncidents(), since: since, until: until, now: await desk.now())))
            case "oncall":
                let role = try text("role", required: false)
                let rows = await desk.onCall(role: role)
                if let role, rows.isEmpty {
                    return .failure(Failure(code: EngineError.Code.unknownPerson.rawValue, message: "there is no role \(role); `firebreak oncall` lists them"))
                }
                return .success(Answer(result: .array(rows)))
            case "reports":
                // The caller's own reports only, whoever they are: a spool file is theirs when they own it.
                let only = try text("file", required: false).map { String($0.split(separator: "/").last ?? "") }
                var files: [Receipts.SpoolFile] = []
                if let root = desk.spoolRoot, let pw = getpwnam(user) {
                    let uid = pw.pointee.pw_uid
                    let candidates = await BlockingWork.run { Receipts.files(spool: root, uid: uid, only: only) }
                    let keys = await desk.spoolKeys(candidates.filter { $0.refused == nil }.map(\.name))
                    files = candidates.filter { $0.refused != nil || keys["spool:" + $0.name] != nil }
                    let ids = Set(keys.values)
                    let incidents = await desk.incidents(ids)
                    let reported = only == nil ? await desk.reported(by: actor) : []
                    if let only, files.isEmpty {
                        return .failure(Failure(code: "unknown-report", message: "no spool file \(only) of yours has been taken or refused yet (a file still in new/ is waiting; one written by someone else is not shown)"))
                    }
                    return .success(Answer(result: .array(Receipts.rows(files: files, keys: keys, incidents: incidents, reported: reported))))
                }
                let reported = await desk.reported(by: actor)
                return .success(Answer(result: .array(Receipts.rows(files: [], keys: [:], incidents: [:], reported: reported))))
            case "evidence":
                return try await fetch(args: args, text: text, actor: actor, desk: desk, evidence: evidence)
            default:
                return .failure(Failure(code: "unknown-op", message: "unknown operation \"\(op)\""))
            }
        } catch let f as Failure {
            return .failure(f)
        } catch {
            return .failure(Failure(code: "internal", message: "\(error)"))
        }
    }

    /// Stores the files passed with a report, named by its `evidence` argument (`[{"name": …}]`, one per
    /// descriptor, in order). Nothing is journaled unless every one is stored.
    static func attach(args: JSONValue, fds: [Int32], report: Report, evidence: EvidenceStore) throws(Failure) -> [Evidence] {
        guard report.evidence.isEmpty else {
            throw Failure(code: "invalid-report", message: "report evidence: names files in the spool; over the socket pass the files themselves (`firebreak report --evidence FILE`)")
        }
        let items = args["evidence"]?.arrayValue ?? []
        guard items.count == fds.count else {
            throw Failure(code: "bad-request", message: "\"evidence\" names \(items.count) files but \(fds.count) were passed with the request")
        }
        guard items.count <= Report.maxEvidence else {
            throw Failure(code: "invalid-evidence", message: "\(items.count) files; at most \(Report.maxEvidence) go with one report")
        }
        var stored: [Evidence] = []
        for (i, (item, fd)) in zip(items, fds).enumerated() {
            guard let name = item["name"]?.stringValue else { throw Failure(code: "bad-request", message: "evidence[\(i)] needs a \"name\"") }
            do { stored.append(try evidence.store(fd: fd, name: name)) } catch {
                throw Failure(code: "invalid-evidence", message: "evidence \(name): \(error.reason)")
            }
        }
        return stored
    }

    /// A stored evidence file of an incident, passed back as a read-only descriptor: to responders and managers.
    static func fetch(args: JSONValue, text: (String, Bool) throws(Failure) -> String?, actor: Actor, desk: Desk,
                      evidence: EvidenceStore) async throws(Failure) -> Result<Answer, Failure> {
        let id = try text("incident", true)!, sha = try text("sha256", true)!.lowercased()
        guard Visibility.maySeeEvidence(actor) else {
            return .failure(Failure(code: EngineError.Code.forbidden.rawValue, message: "only responders and managers may fetch evidence; \(actor.id) is a \(actor.access.rawValue)"))
        }
        guard let inc = await desk.incident(id), let item = inc.evidence.first(where: { $0.sha256 == sha }) else {
            return .failure(Failure(code: "unknown-evidence", message: "\(id) has no evidence \(sha); `firebreak show \(id)` lists it"))
        }
        let fd = evidence.open(sha256: sha)
        guard fd >= 0 else {
            return .failure(Failure(code: "missing-evidence", message: "evidence \(sha) of \(id) is journaled but its file \(evidence.path(sha)) cannot be opened: \(String(cString: strerror(errno)))"))
        }
        return .success(Answer(result: item.json, fd: fd))
    }

    /// What the caller is told once their command is durable: the incident, and for a report whether it opened
    /// one or joined one, and which playbook runs it.
    static func summary(of events: [Event], actor: Actor) -> JSONValue {
        var o: [String: JSONValue] = ["events": .int(Int64(events.count)), "changed": .bool(!events.isEmpty)]
        if let inc = events.first?.incident { o["incident"] = .string(inc) }
        o["opened"] = false
        var abandoned: [JSONValue] = [], ready: [JSONValue] = [], reported = false
        for e in events {
            switch e.body {
            case .incidentOpened(let opened):
                o["opened"] = true
                o["playbook"] = .string(opened.plan.plan.playbook)
                o["playbook_title"] = .string(opened.plan.plan.title)
                o["severity"] = .string(opened.severity.rawValue)
            case .reportReceived(let r) where !reported:
                reported = true
                o["report"] = r.report.map(JSONValue.string) ?? .null
                if !r.evidence.isEmpty { o["evidence"] = .array(r.evidence.map(\.json)) }
            case .stepSkipped(let s) where s.abandoned:
                abandoned.append(.string(s.step))
            case .stepReady(let s) where Visibility.event(e, for: actor) != nil:
                ready.append(["step": .string(s.step), "owner": s.owner.map(JSONValue.string) ?? .null,
                              "due": s.due.map { .string($0.rfc3339) } ?? .null])
            default:
                break
            }
        }
        if !abandoned.isEmpty { o["abandoned"] = .array(abandoned) }
        o["ready_steps"] = .array(ready)
        return .object(o)
    }
}
