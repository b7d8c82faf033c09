import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Employees sign in without a terminal: a link by e-mail (through a real SMTP server) for the roster's people
/// and the organisation's domains, and the single sign-on proxy's header, believed only from the proxy's address.
@Suite(.serialized) struct WebSignInTests {
    static let ready = NotificationTests.python != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

    func start(_ dir: TempDir, config: String) throws -> (DaemonHarness.Running, String) {
        let port = WebBrowserTests.freePort()
        try (config + "\nhttp: 127.0.0.1:\(port)\n").write(toFile: dir.sub("firebreakd.yaml"), atomically: true, encoding: .utf8)
        let (d, _) = try DaemonHarness().startDaemon(dir, arguments: ["--config", dir.sub("firebreakd.yaml"), "--http", "127.0.0.1:\(port)"])
        return (d, "http://127.0.0.1:\(port)")
    }

    static func curl(_ args: [String]) throws -> String {
        try run("/usr/bin/curl", ["-s"] + args).stdout
    }

    @Test(.enabled(if: ready, "needs python3 and curl"))
    func aSignInLinkByEmailForRosterPeopleAndTheOrganisationsDomain() throws {
        let dir = TempDir("web-signin")
        let smtp = try NotificationTests.Sink("smtp_sink.py", in: dir)
        let (d, base) = try start(dir, config: """
            http_signin_domains: example.org
            notifications:
              smtp: 127.0.0.1:\(smtp.port)
              email_from: firebreak@example.org
            """)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let page = try Self.curl([base + "/board"])
        #expect(page.contains("E-mail me a sign-in link"), "the sign-in page offers the e-mail form: \(page)")

        // Amira (in the roster, by her e-mail contact) asks for a link; it comes by mail and signs her in.
        let asked = try Self.curl(["-d", "email=Amira.Haddad@example.org", base + "/signin"])
        #expect(asked.contains("a link is on its way"), "\(asked)")
        let mail = smtp.waitFor(count: 1).first
        #expect(mail?["to"] == ["Amira.Haddad@example.org"])
        let data = mail?["data"]?.stringValue ?? ""
        let link = try #require(data.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(base + "/login?code=") })
        let jar = dir.sub("cookies")
        _ = try Self.curl(["-c", jar, "-o", "/dev/null", link])
        let board = try Self.curl(["-b", jar, base + "/board"])
        #expect(board.contains("amira · responder"), "signed in as the roster's Amira: \(board.prefix(600))")
        #expect(try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", link]) == "401", "the link works once")

        // Someone of the organisation's domain, not in the roster, signs in as a reporter and reports.
        _ = try Self.curl(["-d", "email=eve@example.org", base + "/signin"])
        let eveMail = smtp.waitFor(count: 2).last?["data"]?.stringValue ?? ""
        let eveLink = try #require(eveMail.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(base + "/login?code=") })
        let eveJar = dir.sub("eve-cookies")
        _ = try Self.curl(["-c", eveJar, "-o", "/dev/null", eveLink])
        #expect(try Self.curl(["-b", eveJar, base + "/report"]).contains("eve@example.org · reporter"))

        // Another domain: the same answer, and no mail.
        let stranger = try Self.curl(["-d", "email=mallory@elsewhere.test", base + "/signin"])
        #expect(stranger.contains("a link is on its way"), "the page tells nobody who is known")
        // A second request for Amira within the minute sends nothing more. (The page is answered only after the
        // mail server took the message, so what curl's return leaves in the sink is final.)
        _ = try Self.curl(["-d", "email=amira.haddad@example.org", base + "/signin"])
        #expect(smtp.records.count == 2, "\(smtp.records.count) mails")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: ready, "needs python3 and curl"))
    func theSignOnProxysHeaderIsBelievedOnlyFromTheProxysAddress() throws {
        let dir = TempDir("web-proxy-live")
        let (d, base) = try start(dir, config: "http_trusted_header: X-Forwarded-Email")
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        // oauth2-proxy runs on this host (loopback, the default trusted address) and passes the address it
        // signed in: the roster's Amira.
        let board = try Self.curl(["-H", "X-Forwarded-Email: amira.haddad@example.org", base + "/board"])
        #expect(board.contains("amira · responder"), "\(board.prefix(600))")
        // A proxy that passes the Unix user name instead (X-Remote-User style) names her too.
        let byName = try Self.curl(["-H", "X-Forwarded-Email: \(DaemonHarness.responderUser)", base + "/board"])
        #expect(byName.contains("amira · responder"), "\(byName.prefix(600))")
        #expect(d.stop() == 0)
        // The proxy is elsewhere: a request from loopback with the header is somebody pretending.
        let other = TempDir("web-proxy-elsewhere")
        let (e, base2) = try start(other, config: "http_trusted_header: X-Forwarded-Email\nhttp_trusted_proxies: 10.9.9.9")
        defer { if e.process.isRunning { kill(e.process.processIdentifier, SIGKILL) } }
        #expect(try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Forwarded-Email: amira.haddad@example.org", base2 + "/board"]) == "401")
        #expect(e.stop() == 0)
    }
}
