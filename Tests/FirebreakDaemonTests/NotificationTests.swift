import FirebreakCore
@testable import FirebreakDaemon
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Notifications through real receivers: a webhook server on loopback that answers 200, 500, hangs past the
/// timeout or is not there; a local SMTP server; a command hook that fails. Retries with back-off, the backup
/// told when someone is unreachable, nothing sent twice across a restart, a burst turned into a digest.
@Suite(.serialized) struct NotificationTests {
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A Python receiver (Tests/support), its port, and what it recorded.
    final class Sink {
        let process: Process
        let port: Int
        let log: String

        init(_ script: String, in dir: TempDir) throws {
            let portFile = dir.sub(script + ".port")
            log = dir.sub(script + ".log")
            try #require(FileManager.default.createFile(atPath: log, contents: nil), "cannot create \(log)")
            process = try launch(NotificationTests.python!, [TestPaths.repoRoot + "/Tests/support/" + script, portFile, log], log: dir.sub(script + ".out"))
            var port = 0
            for _ in 0..<500 {
                if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text) { port = p; break }
                usleep(10_000)
            }
            self.port = port
        }

        deinit { kill(process.processIdentifier, SIGKILL) }

        var url: String { "http://127.0.0.1:\(port)" }

        var records: [JSONValue] {
            String(decoding: readBytes(log), as: UTF8.self).split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        }

        func waitFor(count: Int, timeout: Double = 20, where match: (JSONValue) -> Bool = { _ in true }) -> [JSONValue] {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let found = records.filter(match)
                if found.count >= count { return found }
                usleep(20_000)
            }
            return records.filter(match)
        }
    }

    /// One step, owned by the on-call role (Tests/support/playbooks/triage.yaml).
    static let playbook = try! String(contentsOfFile: TestPaths.repoRoot + "/Tests/support/playbooks/triage.yaml", encoding: .utf8)

    /// One playbook, three people: Olga on call (her contacts as given), Bert her backup and Mia the manager
    /// (both on the webhook sink's /ok).
    static func setUp(_ dir: TempDir, olga: [String], sink: Sink, notifications: String) throws -> [String] {
        let playbooks = dir.sub("playbooks")
        try FileManager.default.createDirectory(atPath: playbooks, withIntermediateDirectories: true)
        try playbook.write(toFile: playbooks + "/triage.yaml", atomically: true, encoding: .utf8)
        let roster = """
            people:
              - id: olga
                name: Olga
                contacts:
            \(olga.map { "      - " + $0 }.joined(separator: "\n"))
              - id: bert
                name: Bert
                contacts:
                  - slack: \(sink.url)/ok/bert
              - id: mia
                name: Mia
                contacts:
                  - slack: \(sink.url)/ok/mia
            managers: [mia]
            roles:
              - id: on-call
                title: On call
                members: [olga]
                backup: cover
                manager: mia
              - id: cover
                title: Cover
                members: [bert]
                manager: mia

            """
        try roster.write(toFile: dir.sub("roster.yaml"), atomically: true, encoding: .utf8)
        try ("notifications:\n" + notifications).write(toFile: dir.sub("firebreakd.yaml"), atomically: true, encoding: .utf8)
        return ["--config", dir.sub("firebreakd.yaml"), "--playbooks", playbooks, "--roster", dir.sub("roster.yaml"),
                "--state-dir", dir.sub("state"), "--spool-dir", dir.sub("state") + "/spool", "--socket", dir.sub("fb.sock")]
    }

    struct Daemon {
        let process: Process
        let dir: TempDir
        var journal: String { dir.sub("state") + "/journal" }
        var socket: String { dir.sub("fb.sock") }

        func records(_ type: String) -> [JournalRecord] { journalRecords(journal).filter { $0.type == type } }

        func waitForRecord(_ type: String, timeout: Double = 20, _ match: (JournalRecord) -> Bool = { _ in true }) -> JournalRecord? {
            DaemonEngineTests.waitForRecord(journal, timeout: timeout) { $0.type == type && match($0) }
        }

        func stop(_ signal: Int32 = SIGTERM) -> Int32 {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func start(_ dir: TempDir, _ args: [String], log: String = "log") throws -> Daemon {
        let notify = NotifySocket(path: dir.sub("notify-\(log).sock"))
        let process = try launch(productPath("firebreakd"), args, env: ["NOTIFY_SOCKET": notify.path], log: dir.sub(log))
        #expect(notify.receive(containing: "READY=1") != nil, "\(String(decoding: readBytes(dir.sub(log)), as: UTF8.self))")
        return Daemon(process: process, dir: dir)
    }

    static func report(_ d: Daemon, _ n: Int) throws {
        let r = try SystemdTests.report(d.socket, url: "https://x.com/someone/status/\(n)", category: "other")
        #expect(r["ok"] == true, "\(r)")
    }

    static func body(_ record: JSONValue) -> JSONValue { (try? JSONParser.parse(record["body"]?.stringValue ?? "")) ?? .null }
    static func header(_ record: JSONValue, _ name: String) -> String? {
        guard case .object(let h)? = record["headers"] else { return nil }
        return h.first { $0.key.lowercased() == name.lowercased() }?.value.stringValue
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func theOwnerHearsOnTheirChannelWhatToDoAndItIsJournaled() throws {
        let dir = TempDir("notify-ok")
        let sink = try Sink("http_sink.py", in: dir)
        let args = try Self.setUp(dir, olga: ["slack: \(sink.url)/ok/olga"], sink: sink, notifications: "  timeout_seconds: 2\n  web_url: http://localhost:8080\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        let got = sink.waitFor(count: 1) { $0["path"] == "/ok/olga" }
        #expect(got.count == 1)
        let text = Self.body(got.first ?? .null)["text"]?.stringValue ?? ""
        for expected in ["INC-1", "A step is yours", "Look at the post", "owned by olga", "Due: ", "(in 59 min)", "firebreak ack INC-1 look",
                         "http://localhost:8080/incidents/INC-1", "https://x.com/someone/status/1"] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
        #expect(Self.header(got.first ?? .null, "Idempotency-Key") == "INC-1.n1")
        let sent = d.waitForRecord(EventType.notificationSent)
        #expect(sent?.data["id"] == "INC-1.n1" && sent?.data["channel"] == "slack" && sent?.data["to"] == "olga")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func failuresAreRetriedWithBackoffAndThenTheBackupIsTold() throws {
        let dir = TempDir("notify-retry")
        let sink = try Sink("http_sink.py", in: dir)
        let args = try Self.setUp(dir, olga: ["slack: \(sink.url)/fail500/olga"], sink: sink,
                                  notifications: "  timeout_seconds: 2\n  max_attempts: 3\n  backoff_seconds: 0.3\n  backoff_max_seconds: 5\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        let tries = sink.waitFor(count: 3) { $0["path"] == "/fail500/olga" }
        #expect(tries.count == 3)
        #expect(tries.allSatisfy { Self.header($0, "Idempotency-Key") == "INC-1.n1" }, "the same notification each time")
        let times = tries.compactMap { $0["time"]?.doubleValue }
        if times.count == 3 {
            // 0.3 s then 0.6 s, each ±20 %: the second wait is longer than the first.
            #expect(times[1] - times[0] >= 0.23 && times[2] - times[1] >= 0.47, "\(times)")
        }
        let toBert = sink.waitFor(count: 1) { $0["path"] == "/ok/bert" }
        #expect(Self.body(toBert.first ?? .null)["text"]?.stringValue?.contains("olga could not be reached") == true)
        let failed = d.records(EventType.notificationFailed)
        #expect(failed.map { $0.data["attempt"]?.intValue } == [1, 2, 3])
        #expect(failed[0].data["retry_at"] != nil && failed[2].data["final"] == true && failed[2].data["escalated_to"] == "bert")
        #expect(d.waitForRecord(EventType.notificationSent) { $0.data["to"] == "bert" }?.data["id"] == "INC-1.n2")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func aHangingReceiverTimesOutARefusedOneFailsAndTheNextChannelIsUsed() throws {
        let dir = TempDir("notify-hang")
        let sink = try Sink("http_sink.py", in: dir)
        // A port nobody listens on: bound and closed again.
        let closed = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(closed, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(closed, $0, &len) } }
        close(closed)
        let deadPort = Int(UInt16(bigEndian: addr.sin_port))
        let args = try Self.setUp(dir, olga: ["slack: \(sink.url)/hang/olga", "webhook: http://127.0.0.1:\(deadPort)/x", "teams: \(sink.url)/ok/olga-teams"],
                                  sink: sink, notifications: "  timeout_seconds: 0.5\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        let teams = sink.waitFor(count: 1) { $0["path"] == "/ok/olga-teams" }
        #expect(teams.count == 1)
        let card = Self.body(teams.first ?? .null)
        #expect(card["@type"] == "MessageCard" && card["title"]?.stringValue?.contains("INC-1") == true)
        let hung = sink.records.first { $0["path"] == "/hang/olga" }
        #expect(hung == nil, "the hanging receiver never finished answering")
        let sent = d.waitForRecord(EventType.notificationSent)
        #expect(sent?.data["channel"] == "teams" && sent?.data["attempt"] == 1)
        #expect(d.records(EventType.notificationFailed).isEmpty, "one attempt that found a working channel is no failure")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func nothingIsSentTwiceAcrossARestartAndWhatWasPendingIsRetried() throws {
        let dir = TempDir("notify-restart")
        let sink = try Sink("http_sink.py", in: dir)
        let args = try Self.setUp(dir, olga: ["slack: \(sink.url)/flaky2/olga"], sink: sink,
                                  notifications: "  timeout_seconds: 2\n  max_attempts: 6\n  backoff_seconds: 0.5\n")
        var d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        // The first attempt failed and is journaled: kill the daemon before the retry.
        #expect(d.waitForRecord(EventType.notificationFailed) != nil)
        _ = d.stop(SIGKILL)
        d = try Self.start(dir, args, log: "log2")
        // After the restart it is retried (500 once more, then 200), and recorded as sent once.
        let sent = d.waitForRecord(EventType.notificationSent)
        #expect(sent?.data["id"] == "INC-1.n1" && sent?.data["attempt"] == 3)
        #expect(d.stop() == 0)
        // A third start sends nothing again. A new report's notification is the barrier: had INC-1.n1 still been
        // in the outbox after the start, it would have been due before this one and sent no later.
        d = try Self.start(dir, args, log: "log3")
        try Self.report(d, 2)
        #expect(d.waitForRecord(EventType.notificationSent) { $0.data["id"] == "INC-2.n1" } != nil)
        let all = sink.records.filter { Self.header($0, "Idempotency-Key") == "INC-1.n1" }
        #expect(all.count == 3 && all.filter { $0["status"] == 200 }.count == 1, "\(all.map { $0["status"] ?? .null })")
        #expect(d.records(EventType.notificationSent).filter { $0.data["id"] == "INC-1.n1" }.count == 1)
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func emailGoesThroughARealSMTPServer() throws {
        let dir = TempDir("notify-smtp")
        let sink = try Sink("http_sink.py", in: dir)
        let smtp = try Sink("smtp_sink.py", in: dir)
        let args = try Self.setUp(dir, olga: ["email: olga@example.org"], sink: sink,
                                  notifications: "  smtp: 127.0.0.1:\(smtp.port)\n  email_from: firebreak@example.org\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        let mail = smtp.waitFor(count: 1).first
        #expect(mail?["to"] == ["olga@example.org"] && mail?["from"] == "firebreak@example.org")
        let data = mail?["data"]?.stringValue ?? ""
        #expect(data.contains("Subject: [Firebreak] INC-1 A step is yours: Look at the post"), "\(data)")
        #expect(data.contains("Message-ID: <INC-1.n1@firebreak>") && data.contains("firebreak ack INC-1 look"), "\(data)")
        #expect(d.waitForRecord(EventType.notificationSent)?.data["channel"] == "email")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func withoutARelayEmailIsHandedToSendmail() throws {
        let dir = TempDir("notify-sendmail")
        let sink = try Sink("http_sink.py", in: dir)
        // Stands in for the host's mail system: the interface is the program, its arguments and its input.
        let sendmail = dir.sub("sendmail")
        try "#!/bin/sh\necho \"$@\" > \"\(dir.sub("args"))\"\ncat > \"\(dir.sub("mail"))\"\n".write(toFile: sendmail, atomically: true, encoding: .utf8)
        chmod(sendmail, 0o755)
        let args = try Self.setUp(dir, olga: ["email: olga@example.org"], sink: sink, notifications: "  sendmail: \(sendmail)\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        #expect(d.waitForRecord(EventType.notificationSent)?.data["channel"] == "email")
        #expect(String(decoding: readBytes(dir.sub("args")), as: UTF8.self) == "-t -i\n")
        let mail = String(decoding: readBytes(dir.sub("mail")), as: UTF8.self)
        #expect(mail.contains("To: olga@example.org\r\n") && mail.contains("Subject: [Firebreak] INC-1 A step is yours: Look at the post\r\n"), "\(mail)")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func aCommandHookThatFailsIsRetriedAndGetsTheNotificationOnStandardInput() throws {
        let dir = TempDir("notify-hook")
        let sink = try Sink("http_sink.py", in: dir)
        let hook = dir.sub("pager.sh")
        // Fails the first time, then keeps what it was given.
        try """
            #!/bin/sh
            if [ ! -e "\(dir.sub("tried"))" ]; then touch "\(dir.sub("tried"))"; exit 3; fi
            cat > "\(dir.sub("paged.json"))"

            """.write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let args = try Self.setUp(dir, olga: ["pager: \"+44 7700 900123\""], sink: sink,
                                  notifications: "  backoff_seconds: 0.2\n  commands:\n    pager: \(hook)\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        let sent = d.waitForRecord(EventType.notificationSent)
        #expect(sent?.data["channel"] == "pager" && sent?.data["attempt"] == 2)
        #expect(d.records(EventType.notificationFailed).first?.data["error"]?.stringValue?.contains("exited with status 3") == true)
        let paged = try JSONParser.parse(readBytes(dir.sub("paged.json")))
        #expect(paged["address"] == "+44 7700 900123" && paged["kind"] == "step.assigned" && paged["incident"] == "INC-1" && paged["step"] == "look")
        #expect(d.stop() == 0)
    }

    /// A hook that never finishes is stopped at the timeout (SIGTERM, then SIGKILL for one that ignores it) and
    /// the attempt journaled as failed with why; the daemon waits for it on no thread of its own.
    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func aCommandHookThatHangsIsStoppedAtTheTimeout() throws {
        let dir = TempDir("notify-hook-hang")
        let sink = try Sink("http_sink.py", in: dir)
        let hook = dir.sub("pager.sh")
        try """
            #!/bin/sh
            trap '' TERM
            echo $$ > "\(dir.sub("hook.pid"))"
            exec sleep 60

            """.write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let args = try Self.setUp(dir, olga: ["pager: \"+44 7700 900123\""], sink: sink,
                                  notifications: "  timeout_seconds: 0.5\n  max_attempts: 1\n  commands:\n    pager: \(hook)\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        let failed = d.waitForRecord(EventType.notificationFailed)
        #expect(failed?.data["error"]?.stringValue?.contains("did not finish within 0.5 s") == true, "\(String(describing: failed?.data))")
        // The hook (SIGTERM ignored, so SIGKILL) is gone.
        let pid = try #require(Int32(String(decoding: readBytes(dir.sub("hook.pid")), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(waitUntil { kill(pid, 0) != 0 }, "the hook still runs")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func aBurstForOnePersonBecomesADigest() throws {
        let dir = TempDir("notify-digest")
        let sink = try Sink("http_sink.py", in: dir)
        let args = try Self.setUp(dir, olga: ["webhook: \(sink.url)/ok/olga"], sink: sink, notifications: "  digest_seconds: 1\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        // Six incidents 100 ms apart: each would be a message of its own, but after the first, the rest fall in
        // the one-second window and go together.
        for n in 1...6 {
            try Self.report(d, n)
            usleep(100_000)
        }
        #expect(d.waitForRecord(EventType.notificationSent) { $0.data["id"] == "INC-6.n1" } != nil)
        let posts = sink.records.filter { $0["path"] == "/ok/olga" }
        let digests = posts.filter { Self.body($0)["digest"] != nil }
        // Two messages: the first alone (or, when the machine is slow enough that the notifier first looks after
        // two reports have landed, those two together), and everything after it in one digest.
        #expect(posts.count == 2 && digests.count >= 1, "\(posts.count) messages for six notifications")
        let last = try #require(digests.last)
        let lastIDs = (Self.body(last)["digest"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        #expect(lastIDs.count >= 4 && Self.body(last)["text"]?.stringValue?.contains("\(lastIDs.count) Firebreak notifications for olga") == true,
                "\(Self.body(last))")
        let inDigests = digests.flatMap { Self.body($0)["digest"]?.arrayValue ?? [] }.compactMap { $0["id"]?.stringValue }
        let alone = posts.filter { Self.body($0)["digest"] == nil }.compactMap { Self.body($0)["id"]?.stringValue }
        #expect(Set(inDigests + alone).count == 6 && inDigests.count + alone.count == 6, "each of the six exactly once: \(inDigests + alone)")
        let sent = d.records(EventType.notificationSent)
        #expect(sent.count == 6 && sent.filter { $0.data["digest"] != nil }.count == inDigests.count)
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func aLongDigestListsTheFirstFiftyAndCountsTheRest() throws {
        let dir = TempDir("notify-long-digest")
        let sink = try Sink("http_sink.py", in: dir)
        let args = try Self.setUp(dir, olga: ["webhook: \(sink.url)/ok/olga"], sink: sink, notifications: "  digest_seconds: 3\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        // The first goes alone; the sixty after it fall in its window and wait for one digest.
        try Self.report(d, 1)
        #expect(d.waitForRecord(EventType.notificationSent) { $0.data["id"] == "INC-1.n1" } != nil)
        for n in 2...61 { try Self.report(d, n) }
        #expect(d.waitForRecord(EventType.notificationSent) { $0.data["id"] == "INC-61.n1" } != nil)
        let digests = sink.records.filter { $0["path"] == "/ok/olga" }.map(Self.body).filter { $0["digest"] != nil }
        let listed = digests.reduce(0) { $0 + ($1["digest"]?.arrayValue?.count ?? 0) }
        let more = digests.reduce(0) { $0 + Int($1["more"]?.intValue ?? 0) }
        #expect(digests.allSatisfy { ($0["digest"]?.arrayValue?.count ?? 0) <= 50 }, "a digest lists at most 50")
        #expect(digests.contains { $0["more"]?.intValue ?? 0 > 0 && $0["text"]?.stringValue?.contains("more: `firebreak incidents --mine` lists them.") == true },
                "\(digests.map { $0["text"] ?? .null })")
        // Listed or counted, every one of the 61 reached olga once, and each is journaled as sent.
        let posts = sink.records.filter { $0["path"] == "/ok/olga" }.map(Self.body)
        #expect(listed + more + (posts.count - digests.count) == 61, "\(posts.map { $0["id"] ?? .null })")
        #expect(d.records(EventType.notificationSent).count == 61)
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: python != nil, "needs python3 for the receivers"))
    func theShippedTemplatesAreTheBuiltInOnesAndEditedOnesAreUsed() throws {
        for (name, text) in NotificationContent.defaults {
            let shipped = try String(contentsOfFile: TestPaths.repoRoot + "/templates/notifications/\(name).mustache", encoding: .utf8)
            #expect(shipped == text, "templates/notifications/\(name).mustache differs from the built-in template")
        }
        let dir = TempDir("notify-templates")
        let sink = try Sink("http_sink.py", in: dir)
        let templates = dir.sub("templates")
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
        try "{{% CONTENT_TYPE: TEXT}}Hello {{person}}, {{incident}} needs you: {{command}}".write(toFile: templates + "/message.mustache", atomically: true, encoding: .utf8)
        let args = try Self.setUp(dir, olga: ["slack: \(sink.url)/ok/olga"], sink: sink, notifications: "  templates: \(templates)\n")
        let d = try Self.start(dir, args)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        try Self.report(d, 1)
        let text = Self.body(sink.waitFor(count: 1).first ?? .null)["text"]?.stringValue ?? ""
        #expect(text.hasSuffix("Hello olga, INC-1 needs you: firebreak ack INC-1 look"), "\(text)")
        #expect(d.stop() == 0)

        // A template that does not parse stops the start, naming the setting.
        try "{{#unclosed}} oops".write(toFile: templates + "/message.mustache", atomically: true, encoding: .utf8)
        let broken = try launch(productPath("firebreakd"), args, log: dir.sub("broken.log"))
        broken.waitUntilExit()
        #expect(broken.terminationStatus == 4)
        #expect(String(decoding: readBytes(dir.sub("broken.log")), as: UTF8.self).contains("notifications.templates"))
    }
}
