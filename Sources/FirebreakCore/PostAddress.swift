import Foundation

/// The canonical form of a post's address, so that reports about the same post under different addresses
/// (mobile and desktop hosts, twitter.com and x.com, tracking parameters, fragments) join one incident.
public enum PostAddress {
    /// Query parameters that identify a share or a campaign, never the post.
    static let trackingParameters: Set<String> = [
        "fbclid", "gclid", "dclid", "msclkid", "igshid", "igsh", "si", "mibextid", "ref", "ref_src", "ref_url",
        "feature", "share_id", "rcm", "trk", "_ga", "mc_cid", "mc_eid", "s", "t",
    ]

    /// The services people report posts on, by domain.
    static let platforms: [(domain: String, name: String)] = [
        ("x.com", "x"), ("facebook.com", "facebook"), ("instagram.com", "instagram"), ("linkedin.com", "linkedin"),
        ("tiktok.com", "tiktok"), ("youtube.com", "youtube"), ("reddit.com", "reddit"), ("threads.net", "threads"),
        ("bsky.app", "bluesky"), ("mastodon.social", "mastodon"),
    ]

    /// Host aliases: the same service under another name.
    static let hostAliases: [String: String] = [
        "twitter.com": "x.com",
        "fb.com": "facebook.com",
        "youtu.be": "youtube.com",
        "instagr.am": "instagram.com",
    ]

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case notAURL
        case unsupportedScheme(String)
        case noHost
        case notPublic(String)

        public var description: String {
            switch self {
            case .notAURL: "is not a web address: give the post's address as the browser shows it (https://…)"
            case .notPublic(let host): "points at \(host), a private or local address: a social-media post has a public address (https://x.com/…, https://www.linkedin.com/…)"
            case .unsupportedScheme(let s): "uses \(s):, only http and https addresses of posts are accepted"
            case .noHost: "has no host name"
            }
        }
    }

    /// `https://host/path?sorted-non-tracking-query`, lowercase host without `www.`/`m.`/`mobile.`, no fragment,
    /// no trailing slash, no default port. http and https name the same post.
    public static func canonical(_ text: String) -> Result<String, Problem> {
        guard var c = URLComponents(string: String(trimmed(text))) else { return .failure(.notAURL) }
        guard let scheme = c.scheme?.lowercased() else { return .failure(.notAURL) }
        guard scheme == "http" || scheme == "https" else { return .failure(.unsupportedScheme(scheme)) }
        guard var host = c.host?.lowercased(), !host.isEmpty else { return .failure(.noHost) }
        while host.hasSuffix(".") { host.removeLast() }
        if isPrivate(host) { return .failure(.notPublic(host)) }
        for prefix in ["www.", "m.", "mobile.", "mbasic.", "web."] where host.hasPrefix(prefix) && host.count > prefix.count + 3 {
            host.removeFirst(prefix.count)
            break
        }
        host = hostAliases[host] ?? host
        var path = c.percentEncodedPath
        if youtubeShortHost(c.host), !path.isEmpty {
            // youtu.be/ID is youtube.com/watch?v=ID
            let id = String(path.dropFirst())
            path = "/watch"
            c.queryItems = [URLQueryItem(name: "v", value: id)] + (c.queryItems ?? [])
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        if path == "/" { path = "" }
        let kept = (c.percentEncodedQueryItems ?? [])
            .filter { item in
                let name = item.name.lowercased()
                return !name.hasPrefix("utm_") && !trackingParameters.contains(name)
            }
            .sorted { ($0.name, $0.value ?? "") < ($1.name, $1.value ?? "") }
        var out = "https://" + host + path
        if !kept.isEmpty {
            out += "?" + kept.map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name }.joined(separator: "&")
        }
        return .success(out)
    }

    /// Loopback, private-network, link-local and unspecified addresses, and names that only mean something on
    /// the local network: no post lives there, and such a report is a mistake or a probe.
    static func isPrivate(_ rawHost: String) -> Bool {
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        if host == "localhost" || host.hasSuffix(".localhost") || host.hasSuffix(".local") || host.hasSuffix(".internal")
            || host.hasSuffix(".home.arpa") || !host.contains(".") && !host.contains(":") { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, let o = Optional(octets.compactMap { UInt8($0) }), o.count == 4 {
            switch (o[0], o[1]) {
            case (0, _), (10, _), (127, _), (169, 254), (192, 168): return true
            case (172, 16...31), (100, 64...127): return true
            default: return false
            }
        }
        if host.contains(":") {
            let h = host.lowercased()
            if h == "::1" || h == "::" || h.hasPrefix("fe8") || h.hasPrefix("fe9") || h.hasPrefix("fea") || h.hasPrefix("feb")
                || h.hasPrefix("fc") || h.hasPrefix("fd") || h.hasPrefix("::ffff:") { return true }
        }
        return false
    }

    private static func youtubeShortHost(_ host: String?) -> Bool {
        host?.lowercased() == "youtu.be"
    }

    /// `text` without white space at either end: the scalars of Unicode's White_Space property, the same set as
    /// Foundation's `.whitespacesAndNewlines`, without `trimmingCharacters`, which bridges through NSString on
    /// every report.
    static func trimmed(_ text: String) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return Substring(scalars[first...last])
    }

    /// The platform a canonical address belongs to, when it is one people report posts on.
    public static func platform(ofCanonical url: String) -> String? {
        // A canonical address is `https://host[/path][?query]`, written by `canonical`: the host is what lies
        // between the scheme and the first `/` or `?`.
        guard url.hasPrefix("https://") else { return nil }
        let host = url.dropFirst(8).prefix { $0 != "/" && $0 != "?" }
        for (domain, name) in platforms where host == domain || host.hasSuffix("." + domain) { return name }
        return nil
    }
}
