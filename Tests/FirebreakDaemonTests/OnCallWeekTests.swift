import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An on-call week in seconds: the shipped playbooks' shape (acknowledgement and first step due together, a
/// first escalation level at 0 minutes to the owner, then backup, then manager), three people with webhook
/// contacts on a real receiver, the real daemon. Every notification the journal calls sent arrived exactly
/// once; escalations are not held for a digest; and every command a message prints succeeds, run as printed
/// by the person it was sent to.
@Suite(.serialized) struct OnCallWeekTests {
    static let playbook = """
        id: leak
        title: Confidential information posted
        match:
          fallback: true
        severity: high
        acknowledge: 2s
        escalation:
          levels:
            - after: 0s
              notify: owner
            - after: 1s
              notify: backup
            - after: 2s
              notify: manager
        steps:
          - id: preserve-evidence
            title: Capture the post, its replies and reach
            owner: on-call
            due: 2s
          - id: takedown-request
            title: Ask the poster to remove it
            owner: on-call
            due: 1h
            after: [preserve-evidence]

        """

    /// Olga is on call (played by the responder test user), Bert her backup (the reporter test user), Mia the
    /// manager (whoever runs the tests, root in CI).
    static func setUp(_ dir: TempDir, sink: NotificationTests.Sink) throws -> [String] {
        let playbooks = dir.sub("playbooks")
        try FileManager.default.createDirectory(atPath: playbooks, withIntermediateDirectories: true)
        try playbook.write(toFile: playbooks + "/leak.yaml", atomically: true, encoding: .utf8)
        let me = String(cString: getpwuid(getuid())!.pointee.pw_name)
        let roster = """
            people:
              - {id: olga, name: Olga, unix_user: \(DaemonHarness.responderUser), contacts: [{webhook: "\(sink.url)/ok/olga"}]}
              - {id: bert, name: Bert, unix_user: \(DaemonHarness.reporterUser), contacts: [{webhook: "\(sink.url)/ok/bert"}]}
              - {id: mia, name: Mia, unix_user: \(me), contacts: [{webhook: "\(sink.url)/ok/mia"}]}
            managers: [mia]
            roles:
              - {id: on-call, title: On call, members: [olga], backup: cover, manager: mia}
              - {id: cover, title: Cover, members: [bert], manager: mia}

            """
        try roster.write(toFile: dir.sub("roster.yaml"), atomically: true, encoding: .utf8)
        // A digest window longer than the whole escalation ladder: what is urgent must not wait for it.
        try "notifications:\n  digest_seconds: 4\n".write(toFile: dir.sub("firebreakd.yaml"), atomically: true, encoding: .utf8)
        return ["--config", dir.sub("firebreakd.yaml"), "--playbooks", playbooks, "--roster", dir.sub("roster.yaml"),
                "--state-dir", dir.sub("state"), "--spool-dir", dir.sub("state") + "/spool", "--socket", dir.sub("fb.sock"),
                "--http", "127.0.0.1:0"]
    }

    /// Each message the receiver got, flattened: a digest's items one by one, with the path it came on.
    static func messages(_ sink: NotificationTests.Sink) -> [(to: String, item: JSONValue)] {
        sink.records.flatMap { r -> [(to: String, item: JSONValue)] in
            let to = String((r["path"]?.stringValue ?? "").split(separator: "/").last ?? "")
            let body = NotificationTests.body(r)
            if let items = body["digest"]?.arrayValue { return items.map { (to, $0) } }
            return [(to, body)]
        }
    }

    @Test(.enabled(if: NotificationTests.python != nil && DaemonHarness.usersReady, "needs python3, root and useradd"))
    func everyAlertArrivesOnceAndEveryPrintedCommandWorks() throws {
        let dir = TempDir("oncall-week")
        chmod(dir.path, 0o755)
        let sink = try NotificationTests.Sink("http_sink.py", in: dir)
        let d = try NotificationTests.start(dir, try Self.setUp(dir, sink: sink))
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        for n in 1...3 { try NotificationTests.report(d, n) }

        // Each incident's acknowledgement escalates to the manager (level 2) 4 s after opening.
        for n in 1...3 {
            #expect(d.waitForRecord(EventType.escalation, timeout: 20) { $0.data["incident"]?.stringValue == "INC-\(n)" && $0.data["step"] == nil && $0.data["level"] == 2 } != nil)
        }
        // Then everything asked for ends: sent or failed for good.
        let deadline = Date().addingTimeInterval(20)
        var requested: [JournalRecord] = [], sent: [JournalRecord] = []
        repeat {
            requested = d.records(EventType.notification)
            sent = d.records(EventType.notificationSent)
            if sent.count >= requested.count { break }
            usleep(50_000)
        } while Date() < deadline
        let ids = requested.compactMap { $0.data["id"]?.stringValue }
        #expect(Set(ids).count == ids.count, "notification ids collide: \(ids)")
        #expect(Set(sent.compactMap { $0.data["id"]?.stringValue }) == Set(ids), "every request was sent")
        #expect(d.records(EventType.notificationFailed).isEmpty)

        // The receiver got each one exactly once, on the person's own path (it keeps a message before it answers,
        // and the daemon journals "sent" after the answer).
        let got = Self.messages(sink)
        let gotIDs = got.compactMap { $0.item["id"]?.stringValue }
        #expect(gotIDs.sorted() == ids.sorted(), "received \(gotIDs.count) of \(ids.count)")
        for r in requested {
            let id = r.data["id"]?.stringValue ?? ""
            #expect(got.first { $0.item["id"]?.stringValue == id }?.to == r.data["to"]?.stringValue, "\(id) went to its person")
        }
        let ackOverdue = requested.filter { $0.data["kind"] == "incident.ack_overdue" }
        #expect(ackOverdue.count == 9, "three levels for each of three incidents")
        #expect(got.filter { $0.item["kind"] == "incident.ack_overdue" }.count == ackOverdue.count)

        // Escalations are sent as soon as they are asked for, not at the end of a digest window.
        let sentAt = Dictionary(sent.map { ($0.data["id"]?.stringValue ?? "", $0.event.time) }) { a, _ in a }
        for r in requested where ["escalation", "incident.ack_overdue"].contains(r.data["kind"]?.stringValue ?? "") {
            let id = r.data["id"]?.stringValue ?? ""
            let wait = (sentAt[id].map { $0 - r.event.time } ?? .days(1)).milliseconds
            #expect(wait < 2000, "\(id) (\(r.data["kind"]?.stringValue ?? "")) waited \(wait) ms")
        }

        // Every command printed, run as printed by the person it went to, in the order they arrived.
        let users = ["olga": DaemonHarness.responderUser, "bert": DaemonHarness.reporterUser, "mia": String(cString: getpwuid(getuid())!.pointee.pw_name)]
        var ran: Set<String> = []
        for (to, item) in got {
            for key in ["command", "then_command"] {
                guard let line = item[key]?.stringValue, ran.insert(to + " " + line).inserted else { continue }
                let words = line.split(separator: " ").map(String.init)
                try #require(words.first == "firebreak", "\(line)")
                let r = try DaemonHarness().cli(Array(words.dropFirst()), as: users[to], socket: d.socket)
                #expect(r.status == 0, "\(to): \(line) → \(r.status) \(r.stdout)\(r.stderr)")
            }
        }
        #expect(ran.contains { $0.hasPrefix("olga firebreak ack INC-1 preserve-evidence") }, "\(ran.sorted())")
        #expect(ran.contains { $0.hasSuffix("firebreak done INC-1 preserve-evidence") }, "\(ran.sorted())")
        #expect(d.records(EventType.stepDone).count == 3)
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: DaemonHarness.usersReady, "needs root and useradd"))
    func incidentIDsAreAcceptedInAnyCaseAndAsBareNumbers() throws {
        let dir = TempDir("oncall-ids")
        chmod(dir.path, 0o755)
        let sockets = DaemonHarness()
        let (d, _) = try sockets.startDaemon(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        #expect(try sockets.cli(["report", "https://x.com/someone/status/5", "--category", "harassment", "--text", "you again",
                                 "--note", "aimed at Sam", "--views", "300"], socket: d.socket).status == 0)
        #expect(try sockets.cli(["report", "https://x.com/someone/status/5", "--note", "2k likes now"], socket: d.socket).status == 0)
        for typed in ["inc-1", "1", "#1", "Inc-1"] {
            let r = try sockets.cli(["show", typed], as: DaemonHarness.responderUser, socket: d.socket)
            #expect(r.status == 0 && r.stdout.hasPrefix("INC-1 — "), "show \(typed): \(r.stdout)\(r.stderr)")
        }
        // What the reporter said, on the responder's one screen, without who said it.
        let shown = try sockets.cli(["show", "INC-1"], as: DaemonHarness.responderUser, socket: d.socket).stdout
        for expected in ["note: aimed at Sam", "post text: “you again”", "300 views", "note: 2k likes now", "2 reports from 1 person",
                         "Capture the posts and the accounts involved"] {
            #expect(shown.contains(expected), "\(expected) in \(shown)")
        }
        #expect(!shown.contains("root"), "responders never learn who reported: \(shown)")
        let listed = try sockets.cli(["incidents"], as: DaemonHarness.responderUser, socket: d.socket).stdout
        #expect(listed.contains("Harassment") && listed.contains("https://x.com/someone/status/5") && listed.contains("AGE"), "\(listed)")
        let ack = try sockets.cli(["ack", "inc-1"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(ack.status == 0 && ack.stdout.contains("acknowledged INC-1"), "\(ack.stdout)\(ack.stderr)")
        // A second acknowledgement (a colleague paged too) succeeds and changes nothing.
        let again = try sockets.cli(["ack", "1"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(again.status == 0 && again.stdout.contains("INC-1 was acknowledged already"), "\(again.stdout)\(again.stderr)")
        // The form older notifications printed still works.
        let old = try sockets.cli(["ack", "INC-1", "--step", "preserve-evidence"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(old.status == 0, "\(old.stdout)\(old.stderr)")
        let unknown = try sockets.cli(["show", "INC-99"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(unknown.status == 1 && unknown.stderr.contains("there is no incident INC-99"), "\(unknown.stderr)")
        #expect(journalRecords(d.state + "/journal").filter { $0.type == EventType.incidentAcknowledged }.count == 1)
    }
}

/// A reporter who drops a file in the spool learns what became of it, and only of their own files.
@Suite struct SpoolReceiptTests {
    @Test(.enabled(if: DaemonHarness.usersReady, "needs root and useradd"))
    func aSpoolReporterReadsTheirOwnReceiptsAndNobodyElses() throws {
        let dir = TempDir("spool-receipts")
        chmod(dir.path, 0o755)
        let sockets = DaemonHarness()
        let spool = dir.sub("spool")
        let (d, _) = try sockets.startDaemon(dir, arguments: ["--spool-dir", spool])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let kim = DaemonHarness.reporterUser
        // Kim writes three reports the way a script would: into tmp/, then renamed into new/.
        for (name, body) in [("leak.json", #"{"url":"https://x.com/acme/status/9","category":"confidential-information","note":"board pack"}"#),
                             ("typo.json", #"{"url":"not a url"}"#), ("local.json", #"{"url":"http://192.168.1.10/admin"}"#)] {
            let r = try run("/usr/sbin/runuser", ["-u", kim, "--", "/bin/sh", "-c", "printf '%s' \"$1\" > \(spool)/tmp/\(name) && mv \(spool)/tmp/\(name) \(spool)/new/\(name)", "sh", body])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: spool + "/rejected")) ?? []).count == 4
                                       && ((try? FileManager.default.contentsOfDirectory(atPath: spool + "/done")) ?? []).count == 1 })
        // Kim cannot read done/ or rejected/ ...
        #expect(try run("/usr/sbin/runuser", ["-u", kim, "--", "/bin/ls", spool + "/rejected"]).status != 0)
        // ... but asks the daemon.
        let mine = try sockets.cli(["reports", "--mine"], as: kim, socket: d.socket)
        #expect(mine.status == 0, "\(mine.stderr)")
        #expect(mine.stdout.contains("spool file leak.json: INC-1, open — Confidential information posted"), "\(mine.stdout)")
        #expect(mine.stdout.contains("spool file typo.json: refused — url: “not a url” is not a web address"), "\(mine.stdout)")
        #expect(mine.stdout.contains("spool file local.json: refused — url: “http://192.168.1.10/admin” points at 192.168.1.10, a private or local address"), "\(mine.stdout)")
        let one = try sockets.cli(["reports", "--file", "leak.json", "--json"], as: kim, socket: d.socket)
        let rows = try JSONParser.parse(one.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).arrayValue ?? []
        #expect(rows.count == 1 && rows.first?["incident"] == "INC-1" && rows.first?["file"] == "leak.json", "\(one.stdout)")
        // Someone else sees none of Kim's files, even by name.
        let other = try sockets.cli(["reports", "--file", "leak.json"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(other.status == 1 && other.stderr.contains("no spool file leak.json of yours"), "\(other.stdout)\(other.stderr)")
        let theirs = try sockets.cli(["reports", "--mine"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(theirs.stdout.contains("you have reported nothing yet"), "\(theirs.stdout)")
    }

}

/// On call without editing YAML: who holds each role now and next, and a manager's override.
@Suite struct OnCallRotaTests {
    @Test(.enabled(if: DaemonHarness.usersReady, "needs root and useradd"))
    func aManagerOverridesTheRotaAndEveryoneSeesWhoIsOnCall() throws {
        let dir = TempDir("oncall-override")
        chmod(dir.path, 0o755)
        let sockets = DaemonHarness()
        // root plays Dana, a manager.
        let roster = try String(contentsOfFile: try DaemonHarness.roster(in: dir), encoding: .utf8).replacingOccurrences(of: "unix_user: dana", with: "unix_user: root")
        try roster.write(toFile: dir.sub("roster-manager.yaml"), atomically: true, encoding: .utf8)
        let (d, _) = try sockets.startDaemon(dir, arguments: ["--roster", dir.sub("roster-manager.yaml")])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let before = try sockets.cli(["oncall", "comms-on-call", "--json"], as: DaemonHarness.responderUser, socket: d.socket)
        let holder = try JSONParser.parse(before.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).arrayValue?.first?["holder"]?.stringValue
        let substitute = holder == "ben" ? "chloe" : "ben"
        // A responder may look but not change it.
        let refused = try sockets.cli(["override", "comms-on-call", substitute, "--until", "8h"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(refused.status == 1 && refused.stderr.contains("only managers may override"), "\(refused.stderr)")
        let made = try sockets.cli(["override", "comms-on-call", substitute, "--until", "8h", "--reason", "swap"], socket: d.socket)
        #expect(made.status == 0 && made.stdout.contains("\(substitute) holds comms-on-call until"), "\(made.stdout)\(made.stderr)")
        let shown = try sockets.cli(["oncall"], as: DaemonHarness.responderUser, socket: d.socket).stdout
        #expect(shown.contains("\(substitute) (override)") && shown.contains("override until") && shown.contains(": swap"), "\(shown)")
        #expect(try sockets.cli(["report", "https://x.com/someone/status/8", "--category", "harassment"], socket: d.socket).status == 0)
        let view = try JSONParser.parse(try sockets.cli(["show", "1", "--json"], as: DaemonHarness.responderUser, socket: d.socket).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(view["steps"]?.arrayValue?.first?["owner"]?.stringValue == substitute)
        // Journaled: it holds across a restart.
        #expect(d.stop() == 0)
        let (again, _) = try sockets.startDaemon(dir, arguments: ["--roster", dir.sub("roster-manager.yaml")])
        defer { if again.process.isRunning { kill(again.process.processIdentifier, SIGKILL) } }
        #expect(try sockets.cli(["oncall", "comms-on-call"], socket: again.socket).stdout.contains("\(substitute) (override)"))
        #expect(journalRecords(again.state + "/journal").contains { $0.type == EventType.rosterOverride && $0.data["person"]?.stringValue == substitute })
    }
}

