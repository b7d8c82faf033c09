import FirebreakCore
import FirebreakProtocol
import FirebreakReview
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The web pages and the JSON API (Hummingbird), served by the daemon on `--http ADDR` (localhost by default).
/// Every action is a `ControlOperation`, answered by the same code and rules as the control socket's (`ControlRequests`): a person
/// is a login name mapped by the roster, reporters see their own reports only, and every form carries the
/// session's CSRF token. Pages: report a post, the board, an incident, the review (post-mortems, metrics).
public struct WebServer: Sendable {
    let desk: Desk
    let evidence: EvidenceStore
    let sessions: WebSessions
    let logger: Logger
    /// Checks the one-tap links of notifications (nil: none are made).
    let links: ActionLinks?
    /// Sends sign-in links by e-mail (nil: no way to send mail is configured).
    let mailer: Channels?

    public init(desk: Desk, evidence: EvidenceStore, sessions: WebSessions, links: ActionLinks? = nil, mail: NotificationSettings? = nil, logger: Logger) {
        self.links = links
        self.mailer = mail.map { Channels(settings: $0) }.flatMap { $0.emailPossible ? $0 : nil }
        self.desk = desk
        self.evidence = evidence
        self.sessions = sessions
        self.logger = logger
    }

    /// Who is asking: (login name, actor, CSRF token, whether by bearer token).
    struct Caller {
        let user: String
        let actor: Actor
        let csrf: String
        let bearer: Bool
    }

    /// What anyone not signed in gets: the ways to sign in this daemon offers.
    func signInPage() -> Response {
        Self.html(WebPages.signIn(trustedHeader: sessions.trustedHeader, byEmail: mailer != nil), status: .unauthorized)
    }

    func caller(_ request: Request, _ context: WebRequestContext) async -> Caller? {
        let roster = desk.roster
        if let header = sessions.trustedHeader, let name = request.headers[HTTPField.Name(header)!], !name.isEmpty,
           let peer = context.remoteAddress?.ipAddress, sessions.trustedProxies.contains(peer) {
            let (_, s) = await sessions.trustedSession(for: name)
            return Caller(user: name, actor: Actor.from(unixUser: name, roster: roster), csrf: s.csrf, bearer: false)
        }
        if let auth = request.headers[.authorization], auth.hasPrefix("Bearer "), let s = await sessions.session(String(auth.dropFirst(7))) {
            return Caller(user: s.user, actor: Actor.from(unixUser: s.user, roster: roster), csrf: s.csrf, bearer: true)
        }
        if let cookie = request.cookies["fb_session"]?.value, let s = await sessions.session(cookie) {
            return Caller(user: s.user, actor: Actor.from(unixUser: s.user, roster: roster), csrf: s.csrf, bearer: false)
        }
        return nil
    }

    func run(_ operation: ControlOperation, _ c: Caller, fds: [Int32] = []) async -> Result<JSONValue, ProtocolError> {
        switch await ControlRequests.run(operation, user: c.user, fds: fds, desk: desk, evidence: evidence, web: sessions) {
        case .success(let answer):
            if let fd = answer.fd { close(fd) }
            return .success(answer.result)
        case .failure(let f):
            return .failure(f)
        }
    }

    /// An operation the way the JSON API names it, decoded as the socket decodes its requests.
    func run(op: String, args: [String: JSONValue], _ c: Caller) async -> Result<JSONValue, ProtocolError> {
        let operation: ControlOperation
        do throws(ProtocolError) {
            operation = try ControlOperation(op: op, args: .object(args), admit: { ControlRequests.admit($0, c.actor) })
        } catch {
            return .failure(error)
        }
        return await run(operation, c)
    }

    // MARK: Responses

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-store",
    ]

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.jsonText + "\n")))
    }

    static func seeOther(_ location: String) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    static func status(for code: ProtocolError.Code) -> HTTPResponse.Status {
        switch code {
        case .forbidden: .forbidden
        case .unauthenticated: .unauthorized
        case .unknownIncident, .unknownStep, .unknownPerson, .unknownEvidence: .notFound
        case .notDurable, .internal: .internalServerError
        case .duplicate, .invalidState: .conflict
        default: .badRequest
        }
    }

    /// `application/x-www-form-urlencoded` into a dictionary (the last value of a repeated name wins).
    static func form(_ request: Request) async throws -> [String: String] {
        urlencoded(try await request.body.collect(upTo: 256 * 1024))
    }

    static func urlencoded(_ buffer: ByteBuffer) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            out[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }

    // MARK: Routes

    public func router() -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        router.get("/") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            return Self.seeOther(c.actor.access >= .responder ? "/board" : "/report")
        }
        router.get("/login") { request, context -> Response in
            guard let code = request.uri.queryParameters["code"].map(String.init), let session = await sessions.redeem(code: code) else {
                return Self.html(WebPages.message("Sign in", nil, "That link was used already or has expired. Run `firebreak web-login` for a new one.", back: "/"), status: .unauthorized)
            }
            let next = request.uri.queryParameters["next"].map(String.init).flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
            var response = Self.seeOther(next)
            response.setCookie(Cookie(name: "fb_session", value: session, maxAge: Int(WebSessions.sessionLifetime), path: "/", secure: false, httpOnly: true, sameSite: .strict))
            return response
        }
        router.post("/logout") { request, context -> Response in
            if let cookie = request.cookies["fb_session"]?.value { await sessions.end(cookie) }
            var response = Self.seeOther("/")
            response.setCookie(Cookie(name: "fb_session", value: "", maxAge: 0, path: "/", secure: false, httpOnly: true, sameSite: .strict))
            return response
        }

        // Report a post.
        router.get("/report") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            return Self.html(WebPages.reportForm(c.actor, csrf: c.csrf))
        }
        router.post("/report") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            let form: WebForm
            do { form = try await WebForm.read(request, maxBytes: Int(min(Int64(Int.max / 16), evidence.maxBytes)) * 10 + 1 << 20) } catch {
                return Self.html(WebPages.message("Not sent", c.actor, "The form could not be read (\(error)); a screenshot may be too large: at most \(evidence.maxBytes >> 20) MiB each.", back: "/report"), status: .badRequest)
            }
            let f = form.fields
            guard f["csrf"] == c.csrf else { return Self.html(WebPages.message("Refused", c.actor, "This form is out of date or came from another site; open the page again."), status: .forbidden) }
            var report: [String: JSONValue] = [:]
            for key in ["url", "category", "text", "note", "author"] { if let v = f[key], !v.isEmpty { report[key] = .string(v) } }
            // Every problem at once, each naming its field, with everything typed kept: nobody fixes one
            // field, sends, and only then hears of the next.
            var problems: [String] = []
            var reach: [String: JSONValue] = [:]
            for key in ["views", "shares"] {
                guard let v = f[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { continue }
                guard let n = Int64(v.replacingOccurrences(of: ",", with: "")), n >= 0 else {
                    problems.append("\(key == "views" ? "Views" : "Shares"): “\(v)” is not a whole number; leave it empty if the post does not show it")
                    continue
                }
                reach[key] = .int(n)
            }
            if !reach.isEmpty { report["reach"] = .object(reach) }
            if let url = f["url"], !url.trimmingCharacters(in: .whitespaces).isEmpty {
                if case .failure(let why) = PostAddress.canonical(url) { problems.insert("The post's address: “\(url)” \(why)", at: 0) }
            } else {
                problems.insert("The post's address is required: copy it from the browser's address bar or the post's Share menu", at: 0)
            }
            let shots = form.files.filter { $0.field == "evidence" }
            if shots.count > 10 { problems.append("Screenshots: at most 10 files with one report (\(shots.count) were chosen)") }
            for s in shots where Int64(s.bytes.count) > evidence.maxBytes {
                problems.append("Screenshots: \(s.filename) is \(s.bytes.count >> 20) MiB; at most \(evidence.maxBytes >> 20) MiB each")
            }
            if !problems.isEmpty {
                return Self.html(WebPages.reportForm(c.actor, csrf: c.csrf, values: f, errors: problems), status: .badRequest)
            }
            // The same checks as every other way in, so the page names the field the way the socket would.
            let checked: Report
            do throws(Report.Problem) { checked = try Report(json: .object(report)) } catch {
                return Self.html(WebPages.reportForm(c.actor, csrf: c.csrf, values: f, errors: ["report \(error.field): \(error.reason)"]), status: .badRequest)
            }
            // Screenshots reach the evidence store as descriptors, the way the socket's files do.
            var fds: [Int32] = []
            defer { fds.forEach { close($0) } }
            for s in shots {
                guard let fd = WebForm.descriptor(for: s.bytes, in: evidence.root) else {
                    return Self.html(WebPages.message("Not sent", c.actor, "The screenshot \(s.filename) could not be stored: \(String(cString: strerror(errno))). Nothing was sent.", back: "/report"), status: .serviceUnavailable)
                }
                fds.append(fd)
            }
            let names = shots.map { s in (s.filename as NSString).lastPathComponent.isEmpty ? "screenshot" : (s.filename as NSString).lastPathComponent }
            let key = f["submission"].flatMap { $0.isEmpty ? nil : "web-" + $0 }
            switch await run(.report(checked, key: key, files: names), c, fds: fds) {
            case .success(let result): return Self.html(WebPages.reportDone(c.actor, result: result))
            case .failure(let e) where e.code == .duplicate:
                return Self.html(WebPages.message("Already sent", c.actor, e.message, error: false, back: "/board"))
            case .failure(let e):
                // The form comes back with everything filled in: nothing typed is lost.
                return Self.html(WebPages.reportForm(c.actor, csrf: c.csrf, values: f, errors: [e.message]), status: Self.status(for: e.code))
            }
        }

        // The board.
        router.get("/board") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            let mine = await run(.incidents(IncidentFilter(mine: c.actor.access >= .responder, open: true)), c)
            var list = (try? mine.get())?.arrayValue ?? []
            if c.actor.access >= .responder {
                // Open incidents nobody acknowledged yet are everyone's business on call.
                let open = (try? await run(.incidents(IncidentFilter(open: true)), c).get())?.arrayValue ?? []
                let ids = Set(list.compactMap { $0["id"]?.stringValue })
                list += open.filter { $0["status"] == "open" && !ids.contains($0["id"]?.stringValue ?? "") }
            }
            let onCall = c.actor.access >= .responder ? (try? await run(.onCall(role: nil), c).get())?.arrayValue ?? [] : []
            return Self.html(WebPages.board(c.actor, csrf: c.csrf, incidents: list, onCall: onCall, now: await desk.now(),
                                            flash: request.uri.queryParameters["done"].map(String.init)))
        }
        // Finding incidents: the words and filters of `firebreak incidents`, a page at a time.
        router.get("/incidents") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            let query = IncidentListPage.query(request.uri.query)
            let result = await run(op: "incidents", args: IncidentListPage.arguments(query), c)
            let status: HTTPResponse.Status = { if case .failure(let e) = result { Self.status(for: e.code) } else { .ok } }()
            return Self.html(IncidentListPage.html(c.actor, query: query, result: result), status: status)
        }
        router.post("/incidents/:id/:verb") { request, context -> Response in
            try await act(request, context, step: nil)
        }
        router.post("/incidents/:id/steps/:step/:verb") { request, context -> Response in
            try await act(request, context, step: context.parameters.get("step"))
        }

        // An incident, and its post-mortem.
        router.get("/incidents/:id") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            let id = Self.incident(context)
            switch await run(.show(incident: id), c) {
            case .success(let view):
                let postmortem = c.actor.access >= .responder ? try? await run(.postmortem(incident: id), c).get() : nil
                return Self.html(WebPages.incident(c.actor, view: view, postmortem: postmortem, csrf: c.csrf))
            case .failure(let e):
                return Self.html(WebPages.message("Not found", c.actor, e.message), status: Self.status(for: e.code))
            }
        }
        router.get("/incidents/:id/postmortem") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            let id = Self.incident(context)
            switch await run(.postmortem(incident: id), c) {
            case .success(let p): return Self.html(WebPages.page("Post-mortem \(id)", c.actor, PostmortemText.html(p)))
            case .failure(let e): return Self.html(WebPages.message("Post-mortem", c.actor, e.message), status: Self.status(for: e.code))
            }
        }

        // Review: metrics with charts, and the post-mortems.
        router.get("/review") { request, context -> Response in
            guard let c = await caller(request, context) else { return signInPage() }
            func date(_ key: String) -> String? { request.uri.queryParameters[Substring(key)].flatMap { $0.isEmpty ? nil : String($0) } }
            // Who may ask first, then the dates, as the socket decides them.
            let metrics: Result<JSONValue, ProtocolError>
            do throws(ProtocolError) {
                if let refusal = ControlRequests.admit(.metrics, c.actor) { throw refusal }
                metrics = await run(try .metrics(sinceText: date("since"), untilText: date("until")), c)
            } catch {
                metrics = .failure(error)
            }
            switch metrics {
            case .success(let m):
                let all = (try? await run(.incidents(IncidentFilter()), c).get())?.arrayValue ?? []
                return Self.html(WebPages.review(c.actor, metrics: m, resolved: all.filter { $0["status"] == "resolved" || $0["status"] == "closed" }))
            case .failure(let e):
                return Self.html(WebPages.message("Review", c.actor, e.message), status: Self.status(for: e.code))
            }
        }

        // Prometheus.
        router.get("/metrics") { _, _ -> Response in
            desk.metrics.stepsOverdue.set(Double(await desk.overdueStepCount()))
            desk.metrics.openIncidents.set(Double(await desk.activeIncidents))
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: desk.metrics.registry.emitToBuffer())))
        }

        // The JSON API: the socket's operations over HTTP, for the pages' scripts-to-be and for people's scripts.
        router.get("/api/:op") { request, context -> Response in
            guard let c = await caller(request, context) else { return Self.unauthenticated }
            let op = context.parameters.get("op") ?? ""
            guard ControlOperation.Name(rawValue: op)?.isRead == true else {
                let reads = ControlOperation.Name.webReads.map(\.rawValue).joined(separator: ", ")
                return Self.apiReply(.failure(ProtocolError(.unknownOp, "GET /api/\(op) is not an operation; reads: \(reads)")), status: .notFound)
            }
            var args: [String: JSONValue] = [:]
            for (k, v) in request.uri.queryParameters {
                // Only `limit` is a number: `?incident=7` is the incident 7, as on the socket.
                switch (k, v) {
                case (_, "true"): args[String(k)] = true
                case (_, "false"): args[String(k)] = false
                case ("limit", _) where Int64(v) != nil: args[String(k)] = .int(Int64(v)!)
                default: args[String(k)] = .string(String(v))
                }
            }
            return Self.apiReply(await run(op: op, args: args, c))
        }
        router.post("/api/:op") { request, context -> Response in
            guard let c = await caller(request, context) else { return Self.unauthenticated }
            // A browser's cookie alone may not change anything: a script must show the CSRF token too.
            guard c.bearer || request.headers[HTTPField.Name("X-CSRF-Token")!] == c.csrf else {
                return Self.apiReply(.failure(ProtocolError(.forbidden, "POST /api needs a bearer token (or X-CSRF-Token with a session cookie)")))
            }
            let op = context.parameters.get("op") ?? ""
            if ControlOperation.Name(rawValue: op)?.isSocketOnly == true {
                return Self.apiReply(.failure(ProtocolError(.unknownOp, "\(op) is for the command line")), status: .notFound)
            }
            let buffer = try await request.body.collect(upTo: ControlProtocol.maxLine)
            let args: JSONValue
            do { args = buffer.readableBytes == 0 ? .object([:]) : try JSONParser.parse(Array(buffer.readableBytesView)) } catch {
                return Self.apiReply(.failure(ProtocolError(.badRequest, "the body is not JSON: \(error)")))
            }
            guard case .object(let o) = args else { return Self.apiReply(.failure(ProtocolError(.badRequest, "the body must be a JSON object of arguments"))) }
            return Self.apiReply(await run(op: op, args: o, c))
        }
        addActionRoutes(router)
        addSignInRoutes(router)
        return router
    }

    /// `status`: for a refusal, when the path rather than the code decides it (an operation that is not there).
    static func apiReply(_ r: Result<JSONValue, ProtocolError>, status: HTTPResponse.Status? = nil) -> Response {
        switch r {
        case .success(let v): return json(["ok": true, "result": v])
        case .failure(let e): return json(["ok": false, "error": e.json], status: status ?? Self.status(for: e.code))
        }
    }

    /// The incident a page's path names (`/incidents/7`, `/incidents/inc-7`), canonical: the pages build their
    /// operations without the socket's decoding, which would make it so.
    static func incident(_ context: WebRequestContext) -> String {
        EngineState.canonicalIncidentID(context.parameters.get("id") ?? "")
    }

    static let unauthenticated = apiReply(.failure(ProtocolError(.unauthenticated, "send Authorization: Bearer <session from `firebreak web-login`>")))

    /// A button on the board or an incident page: acknowledge, done, skip, note.
    func act(_ request: Request, _ context: WebRequestContext, step: String?) async throws -> Response {
        guard let c = await caller(request, context) else { return signInPage() }
        let f = try await Self.form(request)
        guard f["csrf"] == c.csrf else { return Self.html(WebPages.message("Refused", c.actor, "This form is out of date or came from another site; open the page again."), status: .forbidden) }
        // The incident as the engine names it (`1`, `inc-1` and `INC-1` are one), in the operation and on the page.
        let incident = Self.incident(context), verb = context.parameters.get("verb") ?? ""
        let operation: ControlOperation
        switch (verb, step) {
        case ("ack", _): operation = .ack(incident: incident, step: step)
        case ("done", let step?): operation = .done(incident: incident, step: step, note: f["note"].flatMap { $0.isEmpty ? nil : $0 })
        case ("skip", let step?): operation = .skip(incident: incident, step: step, reason: f["reason"] ?? "")
        case ("done", nil), ("skip", nil):
            return Self.html(WebPages.message("Not done", c.actor, "\(verb) needs \"step\"", back: "/incidents/\(incident)"), status: .badRequest)
        case ("note", _): operation = .note(incident: incident, text: f["text"] ?? "")
        case ("resolve", _):
            operation = .resolve(incident: incident, summary: f["summary"] ?? "",
                                 abandonOpenSteps: f["abandon_open_steps"] == "on" || f["abandon_open_steps"] == "true")
        default: return Self.html(WebPages.message("Unknown action", c.actor, "\(verb) is not an action"), status: .notFound)
        }
        switch await run(operation, c) {
        case .success:
            let what = "\(incident)\(step.map { " \($0)" } ?? ""): \(["ack": "acknowledged", "done": "done", "skip": "skipped", "resolve": "resolved"][verb] ?? "note added")"
            let back = verb == "note" || verb == "resolve" ? "/incidents/\(incident)" : "/board?done=" + (what.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            return Self.seeOther(back)
        case .failure(let e):
            // The engine speaks of the command line's flag; on the page it is the checkbox.
            let message = verb == "resolve" ? e.message.replacingOccurrences(of: "resolve with --abandon-open-steps", with: "tick “Abandon the open steps” when you resolve (--abandon-open-steps on the command line)") : e.message
            return Self.html(WebPages.message("Not done", c.actor, message, back: "/incidents/\(incident)"), status: Self.status(for: e.code))
        }
    }
}

/// Runs the web server for the service group's lifetime.
public struct WebService: Service {
    let app: Application<RouterResponder<WebRequestContext>>
    let address: String

    public init(server: WebServer, host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) {
        address = "\(host):\(port)"
        app = Application(router: server.router(), configuration: .init(address: .hostname(host, port: port), serverName: "firebreakd"),
                          onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    public func run() async throws {
        do {
            try await app.run()
        } catch {
            throw DaemonError(.startup, "cannot serve the web pages on \(address): \(error); choose another address with http: or --http (or http: off)")
        }
    }
}
