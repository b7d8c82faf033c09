import FirebreakConfig
import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// firebreakd runs the engine: it replays the journal into the engine's state, re-arms every pending deadline
/// (those that passed while it was down fall due at once) and journals what falls due while it runs.
@Suite(.serialized) struct DaemonEngineTests {
    let daemon = productPath("firebreakd")
    static let roster = TestPaths.repoRoot + "/Playbooks/roster.example.yaml"

    /// Writes the events of one report, decided by the engine at `time`, into a new journal.
    static func journalWithIncident(_ journalDir: String, playbooks: String, at time: Timestamp) throws -> [Event] {
        let loaded = ConfigFiles.load(playbooks: playbooks, roster: roster)
        #expect(!loaded.hasErrors, "\(loaded.diagnostics)")
        let context = EngineContext(playbooks: loaded.playbooks, roster: loaded.roster!)
        let report = Report(url: "https://x.com/someone/status/42", category: .confidentialInformation, text: "the Q3 board pack")
        let events = try Engine.handle(.report(report, key: "spool:1"), by: Actor(id: "kim", access: .reporter), state: EngineState(),
                                       now: time, context: context).get()
        let journal = try Journal.open(directory: journalDir)
        _ = try journal.appendNow(events.map(JournalEntry.init))
        try journal.closeNow()
        return events
    }

    /// Polls the journal (read-only, while the daemon writes it) until a record satisfies `match`.
    static func waitForRecord(_ journalDir: String, timeout: Double = 15, _ match: (JournalRecord) -> Bool) -> JournalRecord? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var found: JournalRecord?
            _ = try? JournalReader.scan(directory: journalDir) { r in if found == nil && match(r) { found = r } }
            if let found { return found }
            usleep(20_000)
        }
        return nil
    }

    func start(state: String, playbooks: String, log: String, notify: String) throws -> Process {
        try launch(daemon, ["--state-dir", state, "--spool-dir", state + "/spool", "--socket", state + "/fb.sock",
                            "--playbooks", playbooks, "--roster", Self.roster], env: ["NOTIFY_SOCKET": notify], log: log)
    }

    @Test func deadlinesThatPassedWhileTheDaemonWasDownFallDueAtStart() throws {
        let dir = TempDir("engine-down")
        let state = dir.sub("state")
        let playbooks = TestPaths.repoRoot + "/Playbooks"
        let opened = JournalOptions.systemClock().adding(milliseconds: -2 * 3_600_000)
        let events = try Self.journalWithIncident(state + "/journal", playbooks: playbooks, at: opened)
        let incident = events[0].incident!
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let process = try start(state: state, playbooks: playbooks, log: dir.sub("log"), notify: notify.path)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let ready = notify.receive(containing: "READY=1")
        #expect(ready?.contains("1 open incident") == true, "\(ready ?? "no READY")")
        let startedAt = JournalOptions.systemClock()
        let missed = Self.waitForRecord(state + "/journal") { $0.type == EventType.ackMissed }
        #expect(missed?.data["incident"]?.stringValue == incident)
        #expect(missed?.data["due"]?.stringValue == opened.adding(milliseconds: 15 * 60_000).rfc3339)
        #expect(missed.map { $0.time >= startedAt.adding(milliseconds: -1000) } == true, "stamped when noticed")
        let escalated = Self.waitForRecord(state + "/journal") { $0.type == EventType.escalation && $0.data["step"]?.stringValue == "preserve-evidence" && $0.data["notify"] == "manager" }
        #expect(escalated != nil, "the whole ladder up to the manager fell due at once")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: readBytes(dir.sub("log")), as: UTF8.self))")
        #expect(try JournalVerifier.verify(directory: state + "/journal").intact)
    }

    @Test func aDeadlineFallingDueWhileRunningIsJournaledOnTime() throws {
        let dir = TempDir("engine-live")
        let state = dir.sub("state")
        let playbooks = dir.sub("playbooks")
        try FileManager.default.createDirectory(atPath: playbooks, withIntermediateDirectories: true)
        try """
            id: quick
            title: Quick
            match: {fallback: true}
            severity: high
            acknowledge: 1500ms
            escalation:
              levels:
                - {after: 0m, notify: owner}
            steps:
              - {id: look, title: Look at it, owner: comms-on-call, due: 1h}
            """.write(toFile: playbooks + "/quick.yaml", atomically: true, encoding: .utf8)
        let opened = JournalOptions.systemClock()
        _ = try Self.journalWithIncident(state + "/journal", playbooks: playbooks, at: opened)
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let process = try start(state: state, playbooks: playbooks, log: dir.sub("log"), notify: notify.path)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(notify.receive(containing: "READY=1") != nil)
        let missed = Self.waitForRecord(state + "/journal") { $0.type == EventType.ackMissed }
        let due = opened.adding(milliseconds: 1500)
        let lateness = missed.map { $0.time.millisecondsSinceEpoch - due.millisecondsSinceEpoch }
        #expect(lateness != nil && lateness! >= 0 && lateness! < 1000, "fired \(lateness ?? -1) ms after its deadline")
        // The daemon tells systemd what it is waiting for.
        #expect(notify.receive(containing: "STATUS=1 open incident") != nil)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        print("ack deadline fired \(lateness ?? -1) ms late")
    }

    @Test func aBadConfigurationStopsStartUpNamingTheProblem() throws {
        let dir = TempDir("engine-config")
        try "state_dir: \(dir.sub("state"))\nplaybook: /nowhere\n".write(toFile: dir.sub("firebreak.yaml"), atomically: true, encoding: .utf8)
        let badKey = try run(daemon, ["--config", dir.sub("firebreak.yaml")])
        #expect(badKey.status == 4 && badKey.stderr.contains("firebreak.yaml:2: unknown key \"playbook\""), "\(badKey.stderr)")

        try FileManager.default.createDirectory(atPath: dir.sub("playbooks"), withIntermediateDirectories: true)
        try "id: x\ntitle: X\nmatch: {fallback: true}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: nobody-role, due: 1h}\n"
            .write(toFile: dir.sub("playbooks") + "/x.yaml", atomically: true, encoding: .utf8)
        let badPlaybook = try run(daemon, ["--state-dir", dir.sub("state"), "--spool-dir", dir.sub("state") + "/spool", "--socket", dir.sub("state") + "/fb.sock", "--playbooks", dir.sub("playbooks"), "--roster", Self.roster])
        #expect(badPlaybook.status == 4)
        #expect(badPlaybook.stderr.contains("x.yaml:7:30: error: step \"a\" is owned by \"nobody-role\""), "\(badPlaybook.stderr)")
        #expect(badPlaybook.stderr.contains("firebreak validate"))
    }
}
