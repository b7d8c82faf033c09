import FirebreakCore
import Foundation
import Yams

/// The daemon's configuration: a YAML file (`--config`), then command-line overrides. A bad file stops start-up
/// with a message naming the key.
public struct DaemonConfig: Sendable, Equatable {
    public var stateDir = "/var/lib/firebreak"
    public var playbooks = "/etc/firebreak/playbooks"
    public var roster = "/etc/firebreak/roster.yaml"
    /// Private key for checkpoints; nil: the systemd credential `journal-signing-key`, if any.
    public var signingKey: String?
    public var checkpointEvery = 1000
    public var checkpointSeconds = 60.0
    /// Records between snapshots of the state (0: none, every start replays the whole journal).
    public var snapshotEvery = 100_000
    /// The maildir-style spool (tmp/, new/, done/, rejected/).
    public var spoolDir = "/var/spool/firebreak"
    /// The control socket, bound when systemd does not pass one.
    public var socket = "/run/firebreak/firebreak.sock"
    /// The web pages' address (`127.0.0.1:8080`; port 0 picks a free one), or "off".
    public var http = "off"
    /// A request header the organisation's reverse proxy sets to the signed-in login name; honoured only when set.
    public var httpTrustedHeader: String?
    /// Addresses the trusted header is believed from (comma-separated in the file).
    public var httpTrustedProxies: Set<String> = ["127.0.0.1", "::1"]
    /// E-mail domains whose addresses may ask for a sign-in link by e-mail.
    public var httpSignInDomains: [String] = []
    /// The largest evidence file taken with a report (a screenshot or a saved page, not a video archive).
    public var evidenceMaxBytes: Int64 = 25 << 20
    public var notifications = NotificationSettings()

    public init() {}

    public var journalDirectory: String { stateDir + "/journal" }

    /// `http` as host and port, nil when off or malformed.
    public var httpAddress: (host: String, port: Int)? {
        guard http != "off", let colon = http.lastIndex(of: ":"), let port = Int(http[http.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(http[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    /// Problems no single key shows.
    public func check() throws(DaemonError) {
        guard http == "off" || httpAddress != nil else {
            throw DaemonError(.configuration, "http: \(http): give host:port (127.0.0.1:8080) or off")
        }
    }

    static let keys = ["state_dir", "playbooks", "roster", "signing_key", "checkpoint_every", "checkpoint_seconds", "snapshot_every", "socket", "http", "spool_dir", "evidence_max_bytes", "notifications", "http_trusted_header", "http_trusted_proxies", "http_signin_domains"]

    /// Reads a configuration file over the defaults.
    public static func load(file: String) throws(DaemonError) -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw DaemonError(.configuration, "\(file): cannot read the configuration file")
        }
        var config = DaemonConfig()
        let node: Node?
        // Every scalar as text, as for playbooks (YAMLReader.resolver): the values are read from text below.
        do { node = try Yams.compose(yaml: text, .basic) } catch {
            throw DaemonError(.configuration, "\(file): not YAML: \(error)")
        }
        guard let node else { return config }
        guard let mapping = node.mapping else { throw DaemonError(.configuration, "\(file): the configuration must be a mapping of keys to values") }
        for (k, v) in mapping {
            let key = k.string ?? ""
            let place = "\(file):\(k.mark?.line ?? 0)"
            if key == "notifications" {
                config.notifications = try NotificationSettings.parse(v, file: file)
                continue
            }
            guard let value = v.string, !value.isEmpty else { throw DaemonError(.configuration, "\(place): \(key) needs a value") }
            switch key {
            case "state_dir": config.stateDir = value
            case "playbooks": config.playbooks = value
            case "roster": config.roster = value
            case "signing_key": config.signingKey = value
            case "socket": config.socket = value
            case "spool_dir": config.spoolDir = value
            case "http": config.http = value
            case "http_trusted_header": config.httpTrustedHeader = value
            case "http_trusted_proxies":
                config.httpTrustedProxies = Set(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            case "http_signin_domains":
                config.httpSignInDomains = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            case "checkpoint_every":
                guard let n = Int(value), n > 0 else { throw DaemonError(.configuration, "\(place): checkpoint_every must be a whole number above 0") }
                config.checkpointEvery = n
            case "snapshot_every":
                guard let n = Int(value), n >= 0 else { throw DaemonError(.configuration, "\(place): snapshot_every must be a whole number of records (0: no snapshots)") }
                config.snapshotEvery = n
            case "checkpoint_seconds":
                guard let n = Double(value), n > 0 else { throw DaemonError(.configuration, "\(place): checkpoint_seconds must be a number of seconds above 0") }
                config.checkpointSeconds = n
            case "evidence_max_bytes":
                guard let n = byteCount(value), n > 0 else {
                    throw DaemonError(.configuration, "\(place): evidence_max_bytes must be a size above 0, in bytes or with K, M or G (25M)")
                }
                config.evidenceMaxBytes = n
            default:
                throw DaemonError(.configuration, "\(place): unknown key \"\(key)\"; known keys: \(keys.joined(separator: ", "))")
            }
        }
        return config
    }

    /// "1048576", "512K", "25M", "1G" (powers of 1024).
    static func byteCount(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = t.last, let unit = units[last] { return Int64(t.dropLast()).flatMap { $0.multipliedReportingOverflow(by: unit).overflow ? nil : $0 * unit } }
        return Int64(t)
    }
}
