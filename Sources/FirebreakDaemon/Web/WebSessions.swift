import Crypto
import FirebreakCore
import Foundation

/// Who is using the web pages. A person asks for a login link on the command line (`firebreak web-login`: the
/// socket knows who they are), opens it once, and gets a session cookie (HttpOnly, SameSite=Strict); scripts use
/// the same session as a bearer token. Or, when `http_trusted_header` is set, the organisation's reverse proxy
/// says who it is in that header (never honoured otherwise). Either way the person is a login name mapped by
/// the roster exactly as on the socket. Sessions live in memory: a restart asks for a new link.
public actor WebSessions {
    public struct Session: Sendable {
        public let user: String
        /// Put in every form; a POST without it is refused (cross-site request forgery).
        public let csrf: String
        let expires: Date
    }

    private var sessions: [String: Session] = [:]
    private var loginCodes: [String: (user: String, expires: Date)] = [:]
    /// Where the pages are (known once the server is listening, when it chose its port).
    public private(set) var baseURL: String
    public nonisolated let trustedHeader: String?
    /// The proxy addresses `trustedHeader` is believed from (default: loopback, where oauth2-proxy runs beside
    /// the daemon).
    public nonisolated let trustedProxies: Set<String>
    /// E-mail domains whose addresses may ask for a sign-in link (roster people's addresses always may).
    public nonisolated let signInDomains: [String]
    private var lastLinkSent: [String: Date] = [:]

    public func listening(at url: String) { baseURL = url }
    static let sessionLifetime: TimeInterval = 12 * 3600
    static let loginCodeLifetime: TimeInterval = 10 * 60

    public init(baseURL: String, trustedHeader: String?, trustedProxies: Set<String> = ["127.0.0.1", "::1"], signInDomains: [String] = []) {
        self.baseURL = baseURL
        self.trustedHeader = trustedHeader
        self.trustedProxies = trustedProxies
        self.signInDomains = signInDomains.map { $0.lowercased() }
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A one-time login link and a session token for `user` (a login name, as the socket saw it).
    public func issue(for user: String) -> (url: String, session: String) {
        prune()
        let code = Self.randomToken()
        loginCodes[Self.digest(code)] = (user, Date().addingTimeInterval(Self.loginCodeLifetime))
        let session = newSession(user)
        return (baseURL + "/login?code=" + code, session)
    }

    /// A one-time link for an e-mailed sign-in, at most one per address a minute (a form anyone can fill
    /// must not become a way to flood someone's inbox); nil when one was sent just now.
    public func issueByEmail(address: String, user: String) -> String? {
        let key = address.lowercased()
        if let last = lastLinkSent[key], Date().timeIntervalSince(last) < 60 { return nil }
        lastLinkSent[key] = Date()
        prune()
        let code = Self.randomToken()
        loginCodes[Self.digest(code)] = (user, Date().addingTimeInterval(Self.loginCodeLifetime))
        return baseURL + "/login?code=" + code
    }

    /// Exchanges a login code (once) for a new session id.
    public func redeem(code: String) -> String? {
        prune()
        guard let entry = loginCodes.removeValue(forKey: Self.digest(code)), entry.expires > Date() else { return nil }
        return newSession(entry.user)
    }

    /// One-tap links already used (by digest): a link acts once. Kept in memory; after a restart a used link
    /// could be pressed again, which the engine answers as "already so" (acknowledging and completing are
    /// idempotent), so nothing is done twice.
    private var usedLinks: Set<String> = []

    /// Marks a link used; false when it had been used already.
    public func use(link token: String) -> Bool { usedLinks.insert(Self.digest(token)).inserted }

    public func session(_ id: String) -> Session? {
        guard let s = sessions[Self.digest(id)], s.expires > Date() else { return nil }
        return s
    }

    /// A session for a name the trusted proxy vouched for (one per request is wasteful: reuse by name).
    public func trustedSession(for user: String) -> (String, Session) {
        let key = "trusted:" + user
        if let s = sessions[key], s.expires > Date() { return (key, s) }
        let s = Session(user: user, csrf: Self.randomToken(), expires: Date().addingTimeInterval(Self.sessionLifetime))
        sessions[key] = s
        return (key, s)
    }

    public func end(_ id: String) { sessions[Self.digest(id)] = nil }

    private func newSession(_ user: String) -> String {
        let id = Self.randomToken()
        sessions[Self.digest(id)] = Session(user: user, csrf: Self.randomToken(), expires: Date().addingTimeInterval(Self.sessionLifetime))
        return id
    }

    /// Kept hashed: a memory dump does not hand out live sessions.
    static func digest(_ token: String) -> String { Hex.lowercase(SHA256.hash(data: Array(token.utf8))) }

    private func prune() {
        let now = Date()
        sessions = sessions.filter { $0.value.expires > now }
        loginCodes = loginCodes.filter { $0.value.expires > now }
    }
}
