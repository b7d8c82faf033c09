import FirebreakCore
import FirebreakProtocol
import FirebreakReview
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's answer to each operation, whichever edge it came by (the socket, a web form, the JSON API):
/// an engine command decided and made durable at the desk, or a query asked of it.
enum ControlRequests {
    /// A reply's result, and a descriptor to pass with it (a stored evidence file, opened read-only).
    struct Answer {
        var result: JSONValue
        var fd: Int32? = nil
    }

    /// `fds`: descriptors the caller passed with the request (evidence files for a report); the caller closes them.
    static func run(_ operation: ControlOperation, user: String, fds: [Int32] = [], desk: Desk, evidence: EvidenceStore,
                    web: WebSessions? = nil) async -> Result<Answer, ProtocolError> {
        let actor = Actor.from(unixUser: user, roster: desk.roster)
        return await respond(to: prepare(operation, user: user, fds: fds, evidence: evidence), user: user, actor: actor,
                             desk: desk, evidence: evidence, web: web)
    }

    /// The answer to a prepared request: a command decided and made durable at the desk and summed up, or a
    /// query asked.
    static func respond(to prepared: Result<Prepared, ProtocolError>, user: String, actor: Actor, desk: Desk,
                        evidence: EvidenceStore, web: WebSessions?) async -> Result<Answer, ProtocolError> {
        switch prepared {
        case .failure(let f): return .failure(f)
        case .success(.command(let command)):
            return await submit(command, by: actor, desk: desk).map { Answer(result: summary(of: $0, actor: actor)) }
        case .success(.query(let operation)):
            return await query(operation, user: user, actor: actor, desk: desk, evidence: evidence, web: web)
        }
    }

    /// Refuses an operation the caller may not ask at all before its arguments are read: metrics are for
    /// responders and managers, and a reporter hears that rather than how to write a date.
    static func admit(_ name: ControlOperation.Name, _ actor: Actor) -> ProtocolError? {
        guard name == .metrics, actor.access < .responder else { return nil }
        return ProtocolError(.forbidden, "metrics are for responders and managers; \(actor.id) is a reporter")
    }

    enum Prepared {
        /// A change: its command, built without the desk.
        case command(Command)
        /// A question for the desk (`query`).
        case query(ControlOperation)
    }

    /// Builds the command of a request that changes something (storing the evidence files of a report), with no
    /// visit to the desk, so that it can run where the caller likes (the socket stores files off its thread).
    /// Descriptors come only with a report: `ControlProtocol.Request.decode` refuses them with anything else.
    static func prepare(_ operation: ControlOperation, user: String, fds: [Int32], evidence: EvidenceStore) -> Result<Prepared, ProtocolError> {
        if case .report(var report, let key, let files) = operation {
            do throws(ProtocolError) {
                report.attached = try attach(files: files, fds: fds, report: report, evidence: evidence)
            } catch {
                return .failure(error)
            }
            report.evidence = report.attached.map(\.name)
            return .success(.command(.report(report, key: key.map { "socket:\(user):\($0)" })))
        }
        return .success(operation.command.map(Prepared.command) ?? .query(operation))
    }

    /// Decides, journals and syncs a command at the desk; the caller is answered once it is durable.
    static func submit(_ command: Command, by actor: Actor, desk: Desk) async -> Result<[Event], ProtocolError> {
        do {
            return .success(try await desk.submit(command, by: actor))
        } catch let e as EngineError {
            return .failure(ProtocolError(e))
        } catch {
            return .failure(ProtocolError(.notDurable, "could not record it durably, so nothing was done: \(error)"))
        }
    }

    static func query(_ operation: ControlOperation, user: String, actor: Actor, desk: Desk, evidence: EvidenceStore,
                      web: WebSessions?) async -> Result<Answer, ProtocolError> {
        let roster = desk.roster
        do {
            switch operation {
            case .webLogin:
                guard let web else {
                    return .failure(ProtocolError(.noWeb, "the web pages are off (http: off); start firebreakd with --http 127.0.0.1:8080"))
                }
                let (url, session) = await web.issue(for: user)
                return .success(Answer(result: ["url": .string(url), "session": .string(session), "user": .string(user)]))
            case .whoami:
                var o: [String: JSONValue] = ["user": .string(user), "id": .string(actor.id), "access": .string(actor.access.rawValue)]
                if let p = roster.people[actor.id] { o["name"] = .string(p.name) }
                return .success(Answer(result: .object(o)))
            case .incidents(let f):
                do {
                    return .success(Answer(result: .array(try await desk.incidents(for: actor, f))))
                } catch {
                    return .failure(ProtocolError(error))
                }
            case .show(let id):
                do {
                    let view = try await desk.view(id, for: actor)
                    let records = try await desk.reviewRecords(id)?.1.map(\.event) ?? []
                    return .success(Answer(result: IncidentView.withRecords(view, records, for: actor)))
                } catch let e as EngineError {
                    return .failure(ProtocolError(e))
                }
            case .postmortem(let id):
                guard actor.access >= .responder else {
                    return .failure(ProtocolError(.forbidden, "post-mortems are for responders and managers; \(actor.id) is a reporter"))
                }
                guard let (inc, records, checkpoint) = try await desk.reviewRecords(id) else {
                    return .failure(ProtocolError(.unknownIncident, "there is no incident \(id); `firebreak incidents` lists them"))
                }
                var p = Postmortem.build(incident: inc, records: records, checkpoint: checkpoint, viewer: actor, now: await desk.now())
                // Where to check the proof, as this daemon keeps it: the commands the text prints must run.
                if case .object(var o) = p {
                    o["verify"] = ["journal": .string(desk.journalDirectory), "key": desk.publicKeyPath.map { .string($0) } ?? .null]
                    p = .object(o)
                }
                return .success(Answer(result: p))
            case .metrics(let since, let until):
                if let refusal = admit(.metrics, actor) { return .failure(refusal) }
                return .success(Answer(result: Metrics.compute(await desk.allIncidents(), since: since, until: until, now: await desk.now())))
            case .onCall(let role):
                let rows = await desk.onCall(role: role)
                if let role, rows.isEmpty {
                    return .failure(ProtocolError(.unknownPerson, "there is no role \(role); `firebreak oncall` lists them"))
                }
                return .success(Answer(result: .array(rows)))
            case .reports(let file):
                // The caller's own reports only, whoever they are: a spool file is theirs when they own it.
                let only = file.map { String($0.split(separator: "/").last ?? "") }
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
                        return .failure(ProtocolError(.unknownReport, "no spool file \(only) of yours has been taken or refused yet (a file still in new/ is waiting; one written by someone else is not shown)"))
                    }
                    return .success(Answer(result: .array(Receipts.rows(files: files, keys: keys, incidents: incidents, reported: reported))))
                }
                let reported = await desk.reported(by: actor)
                return .success(Answer(result: .array(Receipts.rows(files: [], keys: [:], incidents: [:], reported: reported))))
            case .evidence(let id, let sha):
                return await fetch(incident: id, sha256: sha, actor: actor, desk: desk, evidence: evidence)
            case .report, .override, .ack, .done, .skip, .assign, .escalate, .resolve, .close, .reopen, .note:
                return .failure(ProtocolError(.internal, "\(operation.name.rawValue) changes something and is not a query"))
            }
        } catch {
            return .failure(ProtocolError(.internal, "\(error)"))
        }
    }

    /// Stores the files passed with a report, named by its `evidence` argument (`[{"name": …}]`, one per
    /// descriptor, in order). Nothing is journaled unless every one is stored.
    static func attach(files items: [String], fds: [Int32], report: Report, evidence: EvidenceStore) throws(ProtocolError) -> [Evidence] {
        guard report.evidence.isEmpty else {
            throw ProtocolError(.invalidReport, "report evidence: names files in the spool; over the socket pass the files themselves (`firebreak report --evidence FILE`)")
        }
        guard items.count == fds.count else {
            throw ProtocolError(.badRequest, "\"evidence\" names \(items.count) files but \(fds.count) were passed with the request")
        }
        guard items.count <= Report.maxEvidence else {
            throw ProtocolError(.invalidEvidence, "\(items.count) files; at most \(Report.maxEvidence) go with one report")
        }
        var stored: [Evidence] = []
        for (name, fd) in zip(items, fds) {
            do { stored.append(try evidence.store(fd: fd, name: name)) } catch {
                throw ProtocolError(.invalidEvidence, "evidence \(name): \(error.message)")
            }
        }
        return stored
    }

    /// A stored evidence file of an incident, passed back as a read-only descriptor: to responders and managers.
    static func fetch(incident id: String, sha256 sha: String, actor: Actor, desk: Desk, evidence: EvidenceStore) async -> Result<Answer, ProtocolError> {
        guard Visibility.maySeeEvidence(actor) else {
            return .failure(ProtocolError(.forbidden, "only responders and managers may fetch evidence; \(actor.id) is a \(actor.access.rawValue)"))
        }
        guard let inc = await desk.incident(id), let item = inc.evidence.first(where: { $0.sha256 == sha }) else {
            return .failure(ProtocolError(.unknownEvidence, "\(id) has no evidence \(sha); `firebreak show \(id)` lists it"))
        }
        let fd = evidence.open(sha256: sha)
        guard fd >= 0 else {
            return .failure(ProtocolError(.missingEvidence, "evidence \(sha) of \(id) is journaled but its file \(evidence.path(sha)) cannot be opened: \(String(cString: strerror(errno)))"))
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
