import FirebreakCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's conversation with systemd, on a test NOTIFY_SOCKET: READY, STATUS, WATCHDOG, RELOADING on
/// SIGHUP (keeping the old playbooks when the new ones are broken), STOPPING.
@Suite(.serialized) struct SystemdTests {
    let daemon = productPath("firebreakd")

    func start(_ dir: TempDir, playbooks: String, env extra: [String: String] = [:]) throws -> (Process, DaemonJournalTests.NotifySocket, String) {
        let notify = DaemonJournalTests.NotifySocket(path: dir.sub("notify.sock"))
        let socket = dir.sub("fb.sock")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemon)
        process.arguments = ["--state-dir", dir.sub("state"), "--socket", socket, "--playbooks", playbooks,
                             "--roster", InteropTests.repoRoot + "/Playbooks/roster.example.yaml"]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        for (k, v) in extra { env[k] = v }
        process.environment = env
        _ = FileManager.default.createFile(atPath: dir.sub("log"), contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: dir.sub("log"))
        process.standardError = FileHandle(forWritingAtPath: dir.sub("log"))
        try process.run()
        return (process, notify, socket)
    }

    static func report(_ socket: String, url: String, category: String) throws -> JSONValue {
        let line = #"{"v":1,"id":1,"op":"report","args":{"report":{"url":"\#(url)","category":"\#(category)"}}}"#
        return try JSONParser.parse(SocketTests.raw(socket, Array(line.utf8) + [0x0A]).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func readyStatusWatchdogAndStopping() throws {
        let dir = TempDir("systemd")
        let (process, notify, _) = try start(dir, playbooks: InteropTests.repoRoot + "/Playbooks", env: ["WATCHDOG_USEC": "200000"])
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
        try FileManager.default.copyItem(atPath: InteropTests.repoRoot + "/Playbooks", toPath: playbooks)
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
}
