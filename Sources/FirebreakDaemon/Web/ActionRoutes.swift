import FirebreakCore
import FirebreakProtocol
import FirebreakReview
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The pages behind a notification's one-tap link: `GET /act/TOKEN` shows what the link is for and a button;
/// `POST /act/TOKEN` acts, as the person the notification went to, and journals that it came through the link
/// (`notification.link_used`); `POST /act/TOKEN/mattermost` is the same for a Mattermost button. No sign-in:
/// the signed link is the proof, and it works once, until it expires or its step is finished.
extension WebServer {
    func addActionRoutes(_ router: Router<WebRequestContext>) {
        router.get("/act/:token") { _, context -> Response in
            let token = context.parameters.get("token") ?? ""
            switch await check(token) {
            case .failure(let page): return page
            case .success(let (claim, inc)): return Self.html(WebPages.actConfirm(claim: claim, incident: inc, roster: desk.roster, token: token, now: await desk.now()))
            }
        }
        router.post("/act/:token") { request, context -> Response in
            let token = context.parameters.get("token") ?? ""
            let f = try await Self.form(request)
            return await act(token, verb: f["do"] ?? "", note: f["note"], via: "web")
        }
        router.post("/act/:token/mattermost") { request, context -> Response in
            // Mattermost's server posts here when the button is pressed: acknowledge, or mark done if it was.
            let token = context.parameters.get("token") ?? ""
            _ = try? await request.body.collect(upTo: 64 * 1024)
            var verb = "ack"
            if case .success(let (claim, inc)) = await check(token), let step = claim.step, let i = inc.stepIndex(step), inc.steps[i].status == .acknowledged {
                verb = "done"
            }
            let page = await act(token, verb: verb, note: nil, via: "mattermost")
            let said = page.status == .ok ? "Done: \(verb == "ack" ? "acknowledged" : "marked done") in Firebreak." : "Firebreak could not do it; open the link in the message."
            return Self.json(["ephemeral_text": .string(said)], status: .ok)
        }
    }

    /// The claim and its incident, or the page that says why the link does nothing.
    enum Checked {
        case success((ActionLinks.Claim, IncidentState))
        case failure(Response)
    }

    func check(_ token: String) async -> Checked {
        guard let links, let claim = links.verify(token, now: await desk.now()) else {
            return .failure(Self.html(WebPages.message("Link not valid", nil, "This link has expired or is not a Firebreak link. Open the incident from the board, or run the command the message gives.", back: "/board"), status: .forbidden))
        }
        guard let inc = await desk.incident(claim.incident) else {
            return .failure(Self.html(WebPages.message("Not found", nil, "\(claim.incident) is not known to this Firebreak.", back: "/board"), status: .notFound))
        }
        return .success((claim, inc))
    }

    func act(_ token: String, verb: String, note: String?, via: String) async -> Response {
        let claim: ActionLinks.Claim, inc: IncidentState
        switch await check(token) {
        case .failure(let page): return page
        case .success(let found): (claim, inc) = found
        }
        let roster = desk.roster
        guard roster.people[claim.person] != nil else {
            return Self.html(WebPages.message("Refused", nil, "\(claim.person) is no longer in the roster.", back: "/board"), status: .forbidden)
        }
        let actor = Actor(id: claim.person, access: roster.access(of: claim.person))
        // The same typed operation the command line and the pages send, and the same submit: only who acts
        // comes from the link rather than a session.
        let operation: ControlOperation?
        switch (verb, claim.step) {
        case ("ack", let step): operation = .ack(incident: inc.id, step: step)
        case ("done", let step?): operation = .done(incident: inc.id, step: step, note: note?.isEmpty == false ? note : nil)
        default: operation = nil
        }
        guard let command = operation?.command else {
            return Self.html(WebPages.message("Refused", nil, "This link cannot \(verb).", back: "/board"), status: .badRequest)
        }
        guard await sessions.use(link: token) else {
            return Self.html(WebPages.message("Already used", nil, "This link was used already: each works once. Open the incident to do more.",
                                              error: false, back: "/incidents/\(inc.id)"), status: .conflict)
        }
        let notDurable = { (error: Any) in
            Self.html(WebPages.message("Not done", nil, "It could not be recorded durably, so nothing was done: \(error)", back: "/incidents/\(inc.id)"), status: .serviceUnavailable)
        }
        switch await ControlRequests.submit(command, by: actor, desk: desk) {
        case .failure(let e) where e.code == .notDurable:
            return notDurable(e.message)
        case .failure(let e):
            return Self.html(WebPages.message("Not done", nil, e.message, back: "/incidents/\(inc.id)"), status: .conflict)
        case .success(let events):
            let used = NotificationLinkUsed(incident: inc.id, step: claim.step, notification: claim.notification, verb: verb, via: via,
                                            changed: !events.isEmpty)
            do { try await desk.record(.notificationLinkUsed(used), actor: claim.person) } catch { return notDurable(error) }
        }
        // After an acknowledgement, the next step is one tap too.
        let now = await desk.now()
        var next: String?
        if verb == "ack", let step = claim.step, let links, let current = await desk.incident(inc.id), let i = current.stepIndex(step), current.steps[i].isOpen {
            next = links.token(ActionLinks.Claim(person: claim.person, incident: inc.id, step: step, notification: claim.notification, expires: now + ActionLinks.lifetime))
        }
        return Self.html(WebPages.actDone(claim: claim, verb: verb, incident: inc, nextToken: next))
    }
}
