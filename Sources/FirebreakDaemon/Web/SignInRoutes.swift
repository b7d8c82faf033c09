import FirebreakCore
import Foundation
import Hummingbird

/// Signing in without a terminal: a person gives their work e-mail address and gets a one-time link by
/// e-mail. Addresses of the roster's people (their e-mail contacts) and of the configured domains
/// (`http_signin_domains`) may; the page says the same whatever the address, so it tells nobody who is known.
extension WebServer {
    func addSignInRoutes(_ router: Router<WebRequestContext>) {
        router.get("/signin") { _, _ -> Response in
            Self.html(WebPages.signIn(trustedHeader: sessions.trustedHeader, byEmail: mailer != nil))
        }
        router.post("/signin") { request, _ -> Response in
            let address = (try await Self.form(request))["email"]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard let mailer else {
                return Self.html(WebPages.message("Sign in", nil, "Sign-in by e-mail is not set up here (no mail relay); run `firebreak web-login` in a terminal.", back: "/signin"), status: .serviceUnavailable)
            }
            let parts = address.split(separator: "@")
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains(".") else {
                return Self.html(WebPages.signIn(trustedHeader: sessions.trustedHeader, byEmail: true, error: "“\(address)” is not an e-mail address: give your work address, name@example.org"), status: .badRequest)
            }
            let domain = parts[1].lowercased()
            let roster = desk.roster
            let user: String?
            if let p = roster.person(email: address) { user = p.unixUser ?? address.lowercased() }
            else if sessions.signInDomains.contains(domain) { user = address.lowercased() }
            else { user = nil }
            if let user, let link = await sessions.issueByEmail(address: address, user: user) {
                let text = """
                    Someone (we hope you) asked to sign in to Firebreak as \(address).

                    Open this link within ten minutes to sign in; it works once:
                    \(link)

                    If it was not you, ignore this message: nothing happens without the link.
                    """
                let message = OutgoingMessage(id: "signin-" + WebSessions.randomToken().prefix(12), subject: "[Firebreak] Your sign-in link", text: text,
                                              json: ["text": .string(text)])
                if case .failed(let why) = await mailer.deliver(message, channel: "email", address: address) {
                    logger.warning("web: could not send a sign-in link to \(address): \(why)")
                    return Self.html(WebPages.message("Not sent", nil, "The sign-in link could not be sent (\(why)). Try again in a minute, or run `firebreak web-login`.", back: "/signin"), status: .serviceUnavailable)
                }
                logger.info("web: sign-in link sent to \(address) for \(user)")
            }
            return Self.html(WebPages.message("Check your e-mail", nil, "If \(address) may sign in to Firebreak, a link is on its way to it. It works once, for ten minutes.", error: false, back: "/signin"))
        }
    }
}
