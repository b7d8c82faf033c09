import FirebreakCore
import FirebreakJournal
import FirebreakUnix
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's conversation with systemd, on a test NOTIFY_SOCKET: READY, STATUS, WATCHDOG, RELOADING on
/// SIGHUP (keeping the old playbooks when the new ones are broken), STOPPING.
@Suite(.serialized) struct SystemdTests {
    let daemon = productPath("firebreakd")

    func start(_ dir: TempDir, playbooks: String, env extra: [String: String] = [:]) throws -> (Process, NotifySocket, String) {
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let socket = dir.sub("fb.sock")
        var env = ["NOTIFY_SOCKET": notify.path]
        for (k, v) in extra { env[k] = v }
        let process = try launch(daemon, ["--state-dir", dir.sub("state"), "--spool-dir", dir.sub("state") + "/spool", "--socket", socket,
                                          "--playbooks", playbooks, "--roster", TestPaths.repoRoot + "/Playbooks/roster.example.yaml"],
                                 env: env, log: dir.sub("log"))
        return (process, notify, socket)
    }

    static func report(_ socket: String, url: String, category: String) throws -> JSONValue {
        let line = #"{"v":1,"id":1,"op":"report","args":{"report":{"url":"\#(url)","category":"\#(category)"}}}"#
        return try JSONParser.parse(SocketTests.raw(socket, Array(line.utf8) + [0x0A]).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func readyStatusWatchdogAndStopping() throws {
        let dir = TempDir("systemd")
        let (process, notify, _) = try start(dir, playbooks: TestPaths.repoRoot + "/Playbooks", env: ["WATCHDOG_USEC": "200000"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let ready = notify.receive(containing: "READY=1")
        #expect(ready?.contains("STATUS=journal at seq") == true, "\(ready ?? "nothing")")
        let started = Date()
        var pings = 0
        while pings < 3, let d = notify.receive() {
            if d.contains("WATCHDOG=1") { pings += 1 }
        }
        #expect(pings == 3)
        #expect(Date().timeIntervalSince(started) < 1.0, "three pings at half of a 200 ms interval")
        kill(process.processIdentifier, SIGTERM)
        #expect(notify.receive(containing: "STOPPING=1") != nil)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func sighupReloadsPlaybooksAndKeepsTheOldOnesWhenTheNewAreBroken() throws {
        let dir = TempDir("reload")
        let playbooks = dir.sub("playbooks")
        try FileManager.default.copyItem(atPath: TestPaths.repoRoot + "/Playbooks", toPath: playbooks)
        let (process, notify, socket) = try start(dir, playbooks: playbooks)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(notify.receive(containing: "READY=1") != nil)

        // A broken playbook: the reload is refused and the old set stays.
        let triage = playbooks + "/general-triage.yaml"
        let original = try String(contentsOfFile: triage, encoding: .utf8)
        try (original + "\nbogus_key: 1\n").write(toFile: triage, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let reloading = notify.receive(containing: "RELOADING=1")
        #expect(reloading?.contains("MONOTONIC_USEC=") == true)
        #expect(notify.receive(containing: "READY=1")?.contains("reload refused") == true)
        let before = try Self.report(socket, url: "https://x.com/r/status/1", category: "other")
        #expect(before["result"]?["playbook_title"] == "General triage")

        // A good change is taken.
        try original.replacingOccurrences(of: "title: General triage", with: "title: Triage (reloaded)").write(toFile: triage, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(notify.receive(containing: "READY=1")?.contains("STATUS=reloaded 9 playbooks") == true)
        let after = try Self.report(socket, url: "https://x.com/r/status/2", category: "other")
        #expect(after["result"]?["playbook_title"] == "Triage (reloaded)")
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("general-triage.yaml:") && log.contains("unknown key \"bogus_key\""))

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    /// journald for the test: the one running, or a standalone one started here. A socket file alone proves
    /// nothing: a machine image can keep /run/systemd/journal/socket from a journald that is gone, and then
    /// every record is dropped silently (CI failed so). A datagram connect() is refused when nobody listens.
    static let journaldReady: Bool = {
        let socket = "/run/systemd/journal/socket"
        if journaldListens(socket) { return true }
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journald") else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/lib/systemd/systemd-journald")
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try? p.run()
        for _ in 0..<300 where !journaldListens(socket) { usleep(10_000) }
        return journaldListens(socket)
    }()

    static func journaldListens(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return UnixSocket.connect(fd, to: path) == 0
    }

    static func journalctl(_ filters: [String]) throws -> [JSONValue] {
        let r = try run("/usr/bin/journalctl", ["-o", "json", "--no-pager"] + filters)
        return r.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    @Test(.enabled(if: journaldReady, "needs journald (started here when absent; needs root)"))
    func logsAreStructuredJournaldRecords() throws {
        let dir = TempDir("journald")
        let state = dir.sub("state")
        // An incident whose deadlines all passed: the daemon fires them at start and logs that.
        _ = try DaemonEngineTests.journalWithIncident(state + "/journal", playbooks: TestPaths.repoRoot + "/Playbooks",
                                                      at: JournalOptions.systemClock().adding(milliseconds: -3_600_000))
        let segment = state + "/journal/00000001.jsonl"
        writeBytes(segment, readBytes(segment) + Array(#"{"seq":99,"#.utf8))
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemon)
        process.arguments = ["--log", "journald", "--state-dir", state, "--spool-dir", state + "/spool", "--socket", dir.sub("fb.sock"),
                             "--playbooks", TestPaths.repoRoot + "/Playbooks", "--roster", TestPaths.repoRoot + "/Playbooks/roster.example.yaml"]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        process.environment = env
        try process.run()
        #expect(notify.receive(containing: "READY=1") != nil)
        let pid = "_PID=\(process.processIdentifier)"
        // The incident's owner is notified; every notification is a journald record of its own.
        for _ in 0..<100 {
            if try Self.journalctl([pid, "MESSAGE_ID=a3c1f5e2b7d94c0e8f6a2b1c9d8e7f60"]).isEmpty == false { break }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var records: [JSONValue] = []
        for _ in 0..<100 {
            records = try Self.journalctl([pid])
            if records.contains(where: { $0["MESSAGE_ID"]?.stringValue == "f0bd8b91ae0c4a68a1663cb2ac2989dd" }) { break }
            usleep(50_000)
        }
        func find(_ id: String) -> JSONValue? { records.first { $0["MESSAGE_ID"]?.stringValue == id } }
        let torn = try #require(find("35ddc5b46e0e40318deea4deccfe2055"), "torn tail record: \(records.count) records")
        #expect(torn["SEGMENT"] == "00000001.jsonl" && torn["SEQ"]?.stringValue != nil && torn["PRIORITY"] == "4")
        #expect(torn["SYSLOG_IDENTIFIER"] == "firebreakd" && torn["CODE_FILE"]?.stringValue?.hasSuffix("DaemonRunner.swift") == true)
        #expect(find("7920e388c9944818a59d6f80d390fc6d") != nil, "started")
        let fired = try #require(find("4e9fc04481d0408597e06b6482c1c531"), "deadlines fired")
        #expect(Int(fired["EVENTS"]?.stringValue ?? "0")! > 0)
        #expect(find("f0bd8b91ae0c4a68a1663cb2ac2989dd")?["MESSAGE"]?.stringValue?.contains("stopped") == true)
        let notified = try #require(find("a3c1f5e2b7d94c0e8f6a2b1c9d8e7f60"), "a notification")
        #expect(notified["NOTIFICATION_ID"]?.stringValue?.hasPrefix("INC-1.n") == true && notified["INCIDENT_ID"] == "INC-1")
        #expect(notified["TO"]?.stringValue?.isEmpty == false && notified["KIND"]?.stringValue?.isEmpty == false && notified["CHANNEL"] != nil)
        // Every field name is one journald keeps.
        for r in records {
            if case .object(let o) = r { #expect(o.keys.allSatisfy { $0.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" } }) }
        }
    }

    @Test func theCatalogExplainsEveryMessageID() throws {
        let catalog = try String(contentsOfFile: TestPaths.repoRoot + "/systemd/firebreak.catalog", encoding: .utf8)
        let ids = ["7920e388c9944818a59d6f80d390fc6d", "f0bd8b91ae0c4a68a1663cb2ac2989dd", "35ddc5b46e0e40318deea4deccfe2055",
                   "67844ec6dcbb4fe2b53590c111f480c4", "eb079fc582344a3f8161171d5afec097", "93bf5cfbb1c14d8cb7142b624e6cb7c4",
                   "f0fb7bdc840b48be8cee04d46172d837", "4e9fc04481d0408597e06b6482c1c531",
                   "a3c1f5e2b7d94c0e8f6a2b1c9d8e7f60", "5b2e8d7c6a1f4e3d9c0b8a7f6e5d4c3b"]
        for id in ids { #expect(catalog.contains("-- \(id)\nSubject: "), "\(id)") }
        let source = try String(contentsOfFile: TestPaths.repoRoot + "/Sources/FirebreakDaemon/MessageID.swift", encoding: .utf8)
        #expect(ids.allSatisfy { source.contains($0) } && source.components(separatedBy: "= \"").count - 1 == ids.count)
    }
}

