import Crypto
import FirebreakCore
@testable import FirebreakJournal
import FirebreakUnix
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// firebreakd's part in the journal's guarantees, on the real binary: it recovers a torn tail before READY,
/// refuses a journal damaged in the middle, seals the journal on SIGTERM, and exits non-zero when a sync fails.
@Suite(.serialized) struct DaemonJournalTests {
    let daemon = productPath("firebreakd")

    static let config = ["--playbooks", TestPaths.repoRoot + "/Playbooks", "--roster", TestPaths.repoRoot + "/Playbooks/roster.example.yaml"]

    func start(_ arguments: [String], env extra: [String: String] = [:], wrapper: [String] = [], log: String) throws -> Process {
        try launch(daemon, arguments + Self.config, env: extra, wrapper: wrapper, log: log)
    }

    @Test func recoversATornTailBeforeReadyAndSealsTheJournalOnSIGTERM() throws {
        let dir = TempDir("daemon")
        let state = dir.sub("state")
        let (_, publicPath) = try KeyFile.generate(privatePath: dir.sub("key"))
        try writeJournal(state + "/journal", count: 5)
        let segment = state + "/journal/" + Segments.name(1)
        let goodBytes = readBytes(segment).count
        writeBytes(segment, readBytes(segment) + Array(#"{"seq":6,"time":"2026-11-"#.utf8))

        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let process = try start(["--state-dir", state, "--spool-dir", state + "/spool", "--socket", state + "/fb.sock", "--signing-key", dir.sub("key")],
                                env: ["NOTIFY_SOCKET": notify.path], log: dir.sub("log"))
        let ready = notify.receive(containing: "READY=1")
        #expect(ready?.contains("READY=1") == true, "got \(ready ?? "nothing")")
        // Recovery and the start are journaled and sealed before READY: seq 6 journal.recovered,
        // 7 daemon.started, 8 the checkpoint.
        #expect(ready?.contains("STATUS=journal at seq 8;") == true, "got \(ready ?? "nothing")")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(notify.receive(containing: "STOPPING=1") != nil)
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("torn tail") && log.contains("moved to"), "\(log)")
        // The clean stop journaled daemon.stopped (9) and sealed it with a checkpoint (10) signed by the daemon's key.
        let report = try JournalVerifier.verify(directory: state + "/journal", keys: [VerificationKey.load(path: publicPath)])
        #expect(report.intact && report.lastSeq == 10 && report.sealedThrough == 9)
        var records: [JournalRecord] = []
        _ = try JournalReader.scan(directory: state + "/journal") { records.append($0) }
        #expect(records.map(\.type) == ["test.event", "test.event", "test.event", "test.event", "test.event", "journal.recovered",
                                         "daemon.started", "journal.checkpoint", "daemon.stopped", "journal.checkpoint"])
        let recovered = records[5].data
        #expect(recovered["bytes"] == 25 && recovered["seq"] == 6 && recovered["offset"] == .int(Int64(goodBytes)))
        let moved = try #require(recovered["moved_to"]?.stringValue)
        #expect(readBytes(moved) == Array(#"{"seq":6,"time":"2026-11-"#.utf8))
        #expect(recovered["sha256"]?.stringValue == Hex.lowercase(SHA256.hash(data: readBytes(moved))))
    }

    /// The desk writes the journal: the daemon starts no writer thread of the journal's, and it is the desk's
    /// timer that seals a quiet journal once `--checkpoint-seconds` have passed since its first unsealed record.
    @Test func theDeskSealsAQuietJournalOnTimeWithNoWriterThread() throws {
        let dir = TempDir("daemon-timed-seal")
        let harness = DaemonHarness()
        let publicPath = try KeyFile.generate(privatePath: dir.sub("key")).publicPath
        let (d, _) = try harness.startDaemon(dir, arguments: ["--signing-key", dir.sub("key"), "--checkpoint-seconds", "1", "--http", "off"])
        defer { _ = d.stop() }
        let journal = d.state + "/journal"
        let key = try VerificationKey.load(path: publicPath)
        // daemon.started and its checkpoint.
        #expect(try JournalVerifier.verify(directory: journal, keys: [key]).sealedThrough == 1)
        let report = try harness.cli(["report", "https://x.com/quiet/status/1", "--category", "other"], socket: d.socket)
        #expect(report.status == 0, "\(report.stderr)")
        // Nothing more is written and 1,000 records are far off: only the desk's timer can seal the report's records.
        let opened = try JournalVerifier.verify(directory: journal, keys: [key])
        #expect(waitUntil(timeout: 15) {
            ((try? JournalVerifier.verify(directory: journal, keys: [key]))?.sealedThrough ?? 0) >= opened.lastSeq
        }, "a timed checkpoint covering seq \(opened.lastSeq)")
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(d.process.processIdentifier)/task")) ?? []
        let names = threads.compactMap { try? String(contentsOfFile: "/proc/\(d.process.processIdentifier)/task/\($0)/comm", encoding: .utf8) }
        #expect(!names.isEmpty && names.contains("desk\n") && !names.contains("journal-writer\n"), "threads: \(names)")
    }

    @Test func refusesToStartOnAJournalDamagedInTheMiddle() throws {
        let dir = TempDir("daemon-damaged")
        let state = dir.sub("state")
        try writeJournal(state + "/journal", count: 5)
        let segment = state + "/journal/" + Segments.name(1)
        var bytes = readBytes(segment)
        bytes[lineRanges(bytes)[1].lowerBound + 12] ^= 0x01
        writeBytes(segment, bytes)
        let result = try run(daemon, ["--state-dir", state, "--spool-dir", state + "/spool", "--socket", state + "/fb.sock"] + Self.config)
        #expect(result.status == 2)
        #expect(result.stderr.contains("seq 2 (00000001.jsonl line 2"), "\(result.stderr)")
        #expect(result.stderr.contains("firebreak journal verify"))
        #expect(readBytes(segment) == bytes, "a refused journal is left untouched")
    }

    @Test(.enabled(if: TestPaths.fiuRun != nil, "needs fiu-run (Debian's fiu-utils)"))
    func exitsNonZeroWhenASyncFailsAndAcknowledgesNothingAfterIt() throws {
        let dir = TempDir("daemon-fiu")
        let state = dir.sub("state")
        _ = try KeyFile.generate(privatePath: dir.sub("key"))
        try writeJournal(state + "/journal", count: 3)
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let fifo = dir.sub("fiu-ctrl")
        let process = try start(["--state-dir", state, "--spool-dir", state + "/spool", "--socket", state + "/fb.sock", "--signing-key", dir.sub("key")],
                                env: ["NOTIFY_SOCKET": notify.path],
                                wrapper: [TestPaths.fiuRun!, "-x", "-f", fifo],
                                log: dir.sub("log"))
        #expect(notify.receive(containing: "READY=1") != nil)
        let sealedAtStart = try JournalVerifier.verify(directory: state + "/journal")
        #expect(sealedAtStart.lastSeq == 5)  // 3 records, daemon.started, checkpoint
        // From now on every fdatasync fails; the stop record cannot be made durable.
        let ctrl = try run("/usr/bin/fiu-ctrl", ["-f", fifo, "-c", "enable name=posix/io/sync/fdatasync", String(process.processIdentifier)])
        #expect(ctrl.status == 0, "\(ctrl.stderr)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 3)
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("fdatasync") && log.contains("failed"), "\(log)")
        #expect(!log.contains("stopped\n") && !log.contains("sealed at seq"))
        // The unacknowledged stop record was cut off: the journal is as it was at READY.
        let report = try JournalVerifier.verify(directory: state + "/journal")
        #expect(report.intact && report.lastSeq == 5)
    }

    @Test(.enabled(if: TestPaths.fiuRun != nil, "needs fiu-run (Debian's fiu-utils)"))
    func neverSignalsReadyWhenTheStartCannotBeMadeDurable() throws {
        let dir = TempDir("daemon-fiu-start")
        let state = dir.sub("state")
        try writeJournal(state + "/journal", count: 2)
        let result = try run(TestPaths.fiuRun!, ["-x", "-c", "enable name=posix/io/sync/fdatasync", daemon, "--state-dir", state, "--spool-dir", state + "/spool", "--socket", state + "/fb.sock"] + Self.config)
        #expect(result.status == 3, "\(result.stderr)")
        // The writer thread reports the failed sync and exits before anything else can happen.
        #expect(result.stderr.contains("fdatasync") && result.stderr.contains("failed"), "\(result.stderr)")
        #expect(try JournalVerifier.verify(directory: state + "/journal").lastSeq == 2)
    }
}
