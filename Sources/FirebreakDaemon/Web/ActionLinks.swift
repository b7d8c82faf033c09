import Crypto
import FirebreakCore
import Foundation

/// Links in notifications that let the person told act with one tap, without signing in first: the link names
/// the person, the incident, the step and the notification, is signed with a key only this daemon holds
/// (`STATE_DIR/action-link-key`, so links outlive a restart), expires, and works once. Opening it (a GET, as
/// mail scanners do) only shows a confirmation page; the button on it (a POST) acts. The key is the daemon's
/// own rather than the journal's signing key: that one proves the record, and must never be used for anything
/// a browser sends back.
public struct ActionLinks: Sendable {
    let key: SymmetricKey
    /// How long a link works at most; it also stops working once its step is finished.
    public static let lifetime = TimeSpan.days(7)

    public struct Claim: Sendable, Hashable {
        public let person: String
        public let incident: String
        public let step: String?
        public let notification: String
        public let expires: Timestamp
    }

    public init(key: SymmetricKey) { self.key = key }

    /// The key in `path`, made (32 random bytes, 0600) when there is none.
    public static func load(path: String) throws -> ActionLinks {
        if let data = FileManager.default.contents(atPath: path), data.count == 32 {
            return ActionLinks(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw DaemonError(.actionLinks, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        return ActionLinks(key: key)
    }

    /// `payload.signature`, both base64url: the payload is `v1|person|incident|step|notification|expires_ms`.
    public func token(_ c: Claim) -> String {
        let payload = ["v1", c.person, c.incident, c.step ?? "", c.notification, String(c.expires.millisecondsSinceEpoch)].joined(separator: "|")
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)
        return Self.base64url(Data(payload.utf8)) + "." + Self.base64url(Data(mac))
    }

    /// The claim of a genuine, unexpired token; nil for anything else (altered, expired, not ours).
    public func verify(_ token: String, now: Timestamp) -> Claim? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.unbase64url(String(parts[0])), let mac = Self.unbase64url(String(parts[1])),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key) else { return nil }
        let f = String(decoding: payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 6, f[0] == "v1", let ms = Int64(f[5]) else { return nil }
        let claim = Claim(person: f[1], incident: f[2], step: f[3].isEmpty ? nil : f[3], notification: f[4], expires: Timestamp(millisecondsSinceEpoch: ms))
        return claim.expires > now ? claim : nil
    }

    static func base64url(_ d: Data) -> String {
        d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ s: String) -> Data? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t)
    }
}
