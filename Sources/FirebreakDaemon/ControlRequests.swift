import FirebreakCore

/// The operations of the control socket, each turned into an engine command or a query for the caller.
enum ControlRequests {
    struct Failure: Error {
        let code: String
        let message: String
    }

    static func run(op: String, args: JSONValue, user: String, desk: Desk) async -> Result<JSONValue, Failure> {
        let roster = await desk.roster
        let actor = Actor.from(unixUser: user, roster: roster)
        func text(_ key: String, required: Bool = true) throws(Failure) -> String? {
            guard let v = args[key], v != .null else {
                if required { throw Failure(code: "bad-request", message: "\(op) needs \"\(key)\"") }
                return nil
            }
            guard let s = v.stringValue else { throw Failure(code: "bad-request", message: "\"\(key)\" must be a string") }
            return s
        }
        do {
            let command: Command
            switch op {
            case "whoami":
                var o: [String: JSONValue] = ["user": .string(user), "id": .string(actor.id), "access": .string(actor.access.rawValue)]
                if let p = roster.people[actor.id] { o["name"] = .string(p.name) }
                return .success(.object(o))
            case "incidents":
                let list = await desk.incidents(for: actor, mine: args["mine"]?.boolValue ?? false, openOnly: args["open"]?.boolValue ?? false,
                                                overdueOnly: args["overdue"]?.boolValue ?? false, limit: Int(args["limit"]?.intValue ?? 200))
                return .success(.array(list))
            case "show":
                do {
                    return .success(try await desk.view(try text("incident")!, for: actor))
                } catch let e as EngineError {
                    return .failure(Failure(code: e.code.rawValue, message: e.message))
                }
            case "report":
                let report: Report
                do { report = try Report(json: args["report"] ?? .null) } catch {
                    return .failure(Failure(code: "invalid-report", message: "report \(error.field): \(error.reason)"))
                }
                command = .report(report, key: try text("key", required: false).map { "socket:\(user):\($0)" })
            case "ack":
                let inc = try text("incident")!
                command = try text("step", required: false).map { .acknowledgeStep(incident: inc, step: $0) } ?? .acknowledge(incident: inc)
            case "done": command = .completeStep(incident: try text("incident")!, step: try text("step")!, note: try text("note", required: false))
            case "skip": command = .skipStep(incident: try text("incident")!, step: try text("step")!, reason: try text("reason")!)
            case "assign": command = .assignStep(incident: try text("incident")!, step: try text("step")!, to: try text("to")!)
            case "escalate": command = .escalate(incident: try text("incident")!, step: try text("step", required: false), reason: try text("reason")!)
            case "resolve": command = .resolve(incident: try text("incident")!, summary: try text("summary")!)
            case "close": command = .close(incident: try text("incident")!, reason: try text("reason", required: false))
            case "reopen": command = .reopen(incident: try text("incident")!, reason: try text("reason")!)
            case "note": command = .note(incident: try text("incident")!, text: try text("text")!)
            default:
                return .failure(Failure(code: "unknown-op", message: "unknown operation \"\(op)\""))
            }
            let events: [Event]
            do {
                events = try await desk.submit(command, by: actor)
            } catch let e as EngineError {
                var message = e.message
                if e.code == .duplicate, let inc = e.incident { message = "already reported: it went to \(inc)" }
                return .failure(Failure(code: e.code.rawValue, message: message))
            } catch {
                return .failure(Failure(code: "not-durable", message: "could not record it durably, so nothing was done: \(error)"))
            }
            return .success(summary(of: events, actor: actor))
        } catch let f as Failure {
            return .failure(f)
        } catch {
            return .failure(Failure(code: "internal", message: "\(error)"))
        }
    }

    /// What the caller is told once their command is durable: the incident, and for a report whether it opened
    /// one or joined one, and which playbook runs it.
    static func summary(of events: [Event], actor: Actor) -> JSONValue {
        var o: [String: JSONValue] = ["events": .int(Int64(events.count))]
        if let inc = events.first?.incident { o["incident"] = .string(inc) }
        if let opened = events.first(where: { $0.type == EventType.incidentOpened }) {
            o["opened"] = true
            o["playbook"] = opened.data["plan"]?["playbook"] ?? .null
            o["playbook_title"] = opened.data["plan"]?["playbook_title"] ?? .null
            o["severity"] = opened.data["severity"] ?? .null
        } else {
            o["opened"] = false
        }
        if let r = events.first(where: { $0.type == EventType.reportReceived }) { o["report"] = r.data["report"] ?? .null }
        o["ready_steps"] = .array(events.filter { $0.type == EventType.stepReady }.compactMap { e in
            guard Visibility.event(e, for: actor) != nil else { return nil }
            return .object(["step": e.data["step"] ?? .null, "owner": e.data["owner"] ?? .null, "due": e.data["due"] ?? .null])
        })
        return .object(o)
    }
}
