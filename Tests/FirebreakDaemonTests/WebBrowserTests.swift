import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The four pages in a real headless Chromium (Debian's package, driven over the DevTools protocol by
/// Tests/support/browse.py) against a running daemon with a scripted incident: the rendered DOM is checked, a
/// screenshot of each page is kept in .build/test-artifacts/web/, and the report form is used end to end
/// (submitted, then the incident is on the board).
@Suite(.serialized) struct WebBrowserTests {
    static let chromium = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let ready = chromium != nil && NotificationTests.python != nil && DaemonHarness.usersReady

    @Test(.enabled(if: ready, "needs chromium, python3, and root to create the test users"))
    func theFourPagesRenderAndAReportFiledInTheFormReachesTheBoard() throws {
        let dir = TempDir("web-browser")
        chmod(dir.path, 0o755)
        let sockets = DaemonHarness()
        let (d, _) = try sockets.startDaemon(dir, arguments: ["--http", "127.0.0.1:0"])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        var base = ""
        for _ in 0..<200 {
            let log = String(decoding: readBytes(d.log), as: UTF8.self)
            if let r = log.range(of: "web pages on ") { base = String(log[r.upperBound...].prefix { !$0.isWhitespace }); break }
            usleep(20_000)
        }
        #expect(base.hasPrefix("http://127.0.0.1:"), "the daemon says where its pages are")

        // The scripted incident: Kim reports, Amira (a responder) acknowledges it, adds a note and resolves it.
        #expect(try sockets.cli(["report", "https://x.com/someone/status/42", "--category", "harassment", "--text", "a post about Sam"],
                                as: DaemonHarness.reporterUser, socket: d.socket).status == 0)
        #expect(try sockets.cli(["ack", "INC-1"], as: DaemonHarness.responderUser, socket: d.socket).status == 0)
        #expect(try sockets.cli(["note", "INC-1", "asked the platform to remove it"], as: DaemonHarness.responderUser, socket: d.socket).status == 0)
        #expect(try sockets.cli(["resolve", "INC-1", "--summary", "the platform removed the post", "--abandon-open-steps"], as: DaemonHarness.responderUser, socket: d.socket).status == 0)
        let login = try sockets.cli(["web-login", "--json"], as: DaemonHarness.responderUser, socket: d.socket)
        let url = try #require(try JSONParser.parse(login.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["url"]?.stringValue)
        #expect(url.hasPrefix(base + "/login?code="))

        let artefacts = TestPaths.repoRoot + "/.build/test-artifacts/web"
        try? FileManager.default.removeItem(atPath: artefacts)
        // A screenshot the reporter attaches in the form: a real PNG (1×1, red).
        let shot = dir.sub("post.png")
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE,
                            0, 0, 0, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0, 0, 0x03, 0x01, 0x01, 0, 0x18, 0xDD, 0x8D, 0xB0,
                            0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        #expect(FileManager.default.createFile(atPath: shot, contents: Data(png)))
        let script: JSONValue = [
            ["goto": .string(url + "&next=/report")], ["dump": "report.html"], ["shot": "report.png"],
            ["fill": ["#url": "https://x.com/web/status/5", "#category": "negative-viral", "#text": "filed from the web form"]],
            ["upload": ["#evidence": [.string(shot)]]],
            ["click": "button.primary"], ["dump": "reported.html"],
            ["goto": .string(base + "/board")], ["dump": "board.html"], ["shot": "board.png"],
            ["goto": .string(base + "/incidents/INC-1")], ["dump": "incident.html"], ["shot": "incident.png"],
            ["goto": .string(base + "/review")], ["dump": "review.html"], ["shot": "review.png"],
            ["goto": .string(base + "/incidents/INC-1/postmortem")], ["dump": "postmortem.html"],
            // Finding an incident by what a responder wrote, with the form as a person fills it in.
            ["goto": .string(base + "/incidents")], ["fill": ["#q": "asked the platform"]], ["click": "#find button"], ["dump": "found.html"], ["shot": "found.png"],
        ]
        try script.jsonText.write(toFile: dir.sub("script.json"), atomically: true, encoding: .utf8)
        let browse = try run(NotificationTests.python!, [TestPaths.repoRoot + "/Tests/support/browse.py", Self.chromium!, dir.sub("script.json"), artefacts])
        #expect(browse.status == 0, "\(browse.stdout)\(browse.stderr)")
        func page(_ name: String) -> String { String(decoding: readBytes(artefacts + "/" + name), as: UTF8.self) }

        #expect(page("report.html").contains("<form method=\"post\" action=\"/report\" enctype=\"multipart/form-data\">") && page("report.html").contains("fbtest-amira") == false)
        #expect(page("report.html").contains("amira · responder"))
        #expect(page("reported.html").contains("id=\"incident\">INC-2</strong>"), "\(page("reported.html"))")
        // The screenshot went with the report, stored content-addressed and journaled as evidence.
        let received = journalRecords(d.state + "/journal").first { $0.type == EventType.reportReceived && $0.data["incident"] == "INC-2" }
        let evidence = received?.data["evidence"]?.arrayValue?.first
        #expect(evidence?["name"] == "post.png" && evidence?["type"] == "image/png" && evidence?["size"]?.intValue == Int64(png.count), "\(String(describing: received?.data))")
        let stored = d.state + "/evidence/sha256/" + (evidence?["sha256"]?.stringValue ?? "").prefix(2) + "/" + (evidence?["sha256"]?.stringValue ?? "")
        #expect(readBytes(stored) == png)
        // The report just filed is on the board, waiting to be acknowledged.
        let board = page("board.html")
        #expect(board.contains("id=\"unacknowledged\"") && board.contains("href=\"/incidents/INC-2\""), "\(board)")
        let incident = page("incident.html")
        #expect(incident.contains("id=\"title\">INC-1") && incident.contains("amira acknowledged the incident")
                && incident.contains("Note by amira: asked the platform to remove it"))
        #expect(!incident.contains(DaemonHarness.reporterUser), "responders never see who reported")
        let review = page("review.html")
        #expect(review.contains("<svg") && review.contains("Median time to acknowledge") && review.contains("href=\"/incidents/INC-1/postmortem\""))
        #expect(page("postmortem.html").contains("Journal proof") && page("postmortem.html").contains("the platform removed the post"))
        let found = page("found.html")
        #expect(found.contains("href=\"/incidents/INC-1\"") && !found.contains("href=\"/incidents/INC-2\"") && found.contains("value=\"asked the platform\""), "\(found)")
        for shot in ["report.png", "board.png", "incident.png", "review.png", "found.png"] {
            let bytes = readBytes(artefacts + "/" + shot)
            #expect(bytes.count > 5_000 && Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "\(shot): \(bytes.count) bytes")
        }
        #expect(d.stop() == 0)
    }

    /// A socket bound to a free port on loopback, listening, and its port.
    static func loopbackListener() -> (fd: Int32, port: Int) {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        listen(s, 1)
        return (s, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// A free port on loopback, for a daemon whose notifications must name its web address before it listens.
    static func freePort() -> Int {
        let (fd, port) = loopbackListener()
        close(fd)
        return port
    }

    /// The one-tap link, as the owner meets it: a Slack message a receiver captured carries a button; opening
    /// it in the browser (no sign-in) shows what it is for and does nothing; pressing the button acknowledges
    /// the step as the owner, journaled as done through the link; the page then offers "Mark done"; the same
    /// link pressed again does nothing more.
    @Test(.enabled(if: chromium != nil && NotificationTests.python != nil, "needs chromium and python3"))
    func theButtonInASlackMessageAcknowledgesWithOneTapInTheBrowser() throws {
        let dir = TempDir("web-act")
        let sink = try NotificationTests.Sink("http_sink.py", in: dir)
        let port = Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let args = try NotificationTests.setUp(dir, olga: ["slack: \(sink.url)/ok/olga"], sink: sink, notifications: "  web_url: \(base)\n")
        let d = try NotificationTests.start(dir, args + ["--http", "127.0.0.1:\(port)"])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try NotificationTests.report(d, 1)
        let message = NotificationTests.body(sink.waitFor(count: 1) { $0["path"] == "/ok/olga" }.first ?? .null)
        let button = message["blocks"]?.arrayValue?.last?["elements"]?.arrayValue?.first
        #expect(button?["text"]?["text"] == "Acknowledge or mark done", "\(message)")
        let link = try #require(button?["url"]?.stringValue, "a button with the link")
        #expect(link.hasPrefix(base + "/act/") && message["text"]?.stringValue?.contains(link) == true, "the link is in the text too")

        let artefacts = TestPaths.repoRoot + "/.build/test-artifacts/web-act"
        try? FileManager.default.removeItem(atPath: artefacts)
        let script: JSONValue = [
            ["goto": .string(link)], ["dump": "confirm.html"], ["shot": "confirm.png"],
            ["click": "button[value=ack]"], ["dump": "acknowledged.html"], ["shot": "acknowledged.png"],
            ["goto": .string(link)], ["dump": "again.html"],
        ]
        try script.jsonText.write(toFile: dir.sub("script.json"), atomically: true, encoding: .utf8)
        // Opening the link alone changes nothing (a mail scanner fetching it acknowledges nobody's step).
        try ([["goto": .string(link)]] as JSONValue).jsonText.write(toFile: dir.sub("peek.json"), atomically: true, encoding: .utf8)
        let peek = try run(NotificationTests.python!, [TestPaths.repoRoot + "/Tests/support/browse.py", Self.chromium!, dir.sub("peek.json"), artefacts + "-peek"])
        #expect(peek.status == 0, "\(peek.stdout)\(peek.stderr)")
        // What an action journals is durable before its page is served, so the journal as the page came back is
        // what the GET did.
        #expect(d.records(EventType.stepAcknowledged).isEmpty, "a GET does nothing")
        let browse = try run(NotificationTests.python!, [TestPaths.repoRoot + "/Tests/support/browse.py", Self.chromium!, dir.sub("script.json"), artefacts])
        #expect(browse.status == 0, "\(browse.stdout)\(browse.stderr)")
        func page(_ name: String) -> String { String(decoding: readBytes(artefacts + "/" + name), as: UTF8.self) }
        #expect(page("confirm.html").contains("For <b>Olga</b>") && page("confirm.html").contains("Look at the post"), "\(page("confirm.html"))")
        #expect(page("acknowledged.html").contains("Acknowledged: step look") && page("acknowledged.html").contains("value=\"done\""), "\(page("acknowledged.html"))")
        // The step is acknowledged by Olga, and the journal says it came through the notification's link.
        let ack = d.waitForRecord(EventType.stepAcknowledged)
        #expect(ack?.actor == "olga" && ack?.data["step"] == "look")
        let used = d.waitForRecord(EventType.notificationLinkUsed)
        #expect(used?.actor == "olga" && used?.data["notification"] == "INC-1.n1" && used?.data["verb"] == "ack" && used?.data["via"] == "web")
        // The same link, opened again, shows the step as taken up and is refused if pressed.
        #expect(page("again.html").contains("acknowledged"), "\(page("again.html"))")
        let replay = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "do=ack", link])
        #expect(replay.stdout == "409", "a link works once: \(replay.stdout)")
        let forged = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/act/" + String(link.split(separator: "/").last!.dropLast(3)) + "abc"])
        #expect(forged.stdout == "403", "an altered link is refused: \(forged.stdout)")
        #expect(d.records(EventType.notificationLinkUsed).count == 1)
        #expect(d.stop() == 0)
    }

    @Test func aTakenPortStopsTheDaemonNamingTheAddress() throws {
        let dir = TempDir("web-port")
        // Something else listens on the port.
        let (taken, port) = Self.loopbackListener()
        defer { close(taken) }
        let state = dir.sub("state")
        let daemon = try launch(productPath("firebreakd"), ["--state-dir", state, "--spool-dir", state + "/spool", "--socket", dir.sub("fb.sock"),
                                                            "--playbooks", TestPaths.repoRoot + "/Playbooks", "--roster", TestPaths.repoRoot + "/Playbooks/roster.example.yaml",
                                                            "--http", "127.0.0.1:\(port)"], log: dir.sub("log"))
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 4)
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("cannot serve the web pages on 127.0.0.1:\(port)") && log.contains("--http"), "\(log)")
    }
}
