import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The spool, for real: files renamed into new/ become incidents and move to done/; bad ones go to rejected/
/// with a reason; inotify's queue overflowing is survived by a rescan; a file already journaled is not applied
/// twice.
@Suite(.serialized) struct SpoolTests {
    let daemon = productPath("firebreakd")

    struct Running {
        let process: Process
        let state: String
        let notify: NotifySocket
        var spool: String { state + "/spool" }
        var journal: String { state + "/journal" }

        func stop() -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    func start(_ dir: TempDir, arguments extra: [String] = []) throws -> Running {
        let state = dir.sub("state")
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let process = try launch(daemon, ["--state-dir", state, "--spool-dir", state + "/spool", "--socket", dir.sub("fb.sock"),
                                          "--playbooks", TestPaths.repoRoot + "/Playbooks", "--roster", TestPaths.repoRoot + "/Playbooks/roster.example.yaml"] + extra,
                                 env: ["NOTIFY_SOCKET": notify.path], log: dir.sub("log"))
        #expect(notify.receive(containing: "READY=1") != nil)
        return Running(process: process, state: state, notify: notify)
    }

    /// Drops a report the maildir way: written in tmp/, renamed into new/.
    static func drop(_ spool: String, _ name: String, _ contents: [UInt8]) {
        writeBytes(spool + "/tmp/" + name, contents)
        rename(spool + "/tmp/" + name, spool + "/new/" + name)
    }

    @Test func aDroppedFileBecomesAnIncidentAndMovesToDone() throws {
        let dir = TempDir("spool")
        let d = try start(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        Self.drop(d.spool, "1795312000.1234.host", Array(#"{"url":"https://x.com/leaker/status/5","category":"confidential-information","text":"board pack"}"#.utf8))
        #expect(waitUntil { FileManager.default.fileExists(atPath: d.spool + "/done/1795312000.1234.host") })
        #expect((try? FileManager.default.contentsOfDirectory(atPath: d.spool + "/new"))?.isEmpty == true)
        let received = journalRecords(d.journal).filter { $0.type == EventType.reportReceived }
        #expect(received.count == 1 && received[0].data["key"] == "spool:1795312000.1234.host")
        #expect(received[0].actor == "root", "the reporter is the file's owner")
        #expect(d.stop() == 0)
    }

    @Test func badFilesAreRejectedWithTheReasonAndTheDaemonGoesOn() throws {
        let dir = TempDir("spool-bad")
        let d = try start(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let new = d.spool + "/new/"
        let good = Array(#"{"url":"https://x.com/a/status/1","category":"harassment"}"#.utf8)
        // A symbolic link to a good report, and a hard link to one.
        writeBytes(dir.sub("target.json"), good)
        symlink(dir.sub("target.json"), d.spool + "/tmp/symlink")
        rename(d.spool + "/tmp/symlink", new + "symlink")
        writeBytes(d.spool + "/tmp/hardlinked", good)
        link(d.spool + "/tmp/hardlinked", dir.sub("second-link"))
        rename(d.spool + "/tmp/hardlinked", new + "hardlink")
        // A FIFO (opening it must not block the daemon).
        mkfifo(d.spool + "/tmp/fifo", 0o644)
        rename(d.spool + "/tmp/fifo", new + "fifo")
        Self.drop(d.spool, "too-big", Array(#"{"url":"https://x.com/a/status/2","text":""#.utf8) + [UInt8](repeating: 0x61, count: 300_000) + Array(#""}"#.utf8))
        Self.drop(d.spool, "not-utf8", [0x7B, 0x22, 0x75, 0x72, 0x6C, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
        Self.drop(d.spool, "no-url", Array(#"{"category":"harassment","text":"no address"}"#.utf8))
        Self.drop(d.spool, "bad-category", Array(#"{"url":"https://x.com/a/status/3","category":"rude"}"#.utf8))
        let expected: [(String, String)] = [("symlink", "symbolic link"), ("hardlink", "hard links"), ("fifo", "not a regular file"),
                                            ("too-big", "over the 262144-byte limit"), ("not-utf8", "UTF-8"),
                                            ("no-url", "field: url\nreason: is required"), ("bad-category", "field: category\nreason: \"rude\" is not a category")]
        #expect(waitUntil { expected.allSatisfy { FileManager.default.fileExists(atPath: d.spool + "/rejected/" + $0.0 + ".reason") } })
        for (name, words) in expected {
            let reason = String(decoding: readBytes(d.spool + "/rejected/" + name + ".reason"), as: UTF8.self)
            #expect(reason.contains(words), "\(name): \(reason)")
            #expect(FileManager.default.fileExists(atPath: d.spool + "/rejected/" + name) || (try? FileManager.default.destinationOfSymbolicLink(atPath: d.spool + "/rejected/" + name)) != nil)
        }
        let rejected = journalRecords(d.journal).filter { $0.type == "report.rejected" }
        #expect(Set(rejected.compactMap { $0.data["file"]?.stringValue }) == Set(expected.map(\.0)))
        // Still serving: a good file after all that.
        Self.drop(d.spool, "good", good)
        #expect(waitUntil { FileManager.default.fileExists(atPath: d.spool + "/done/good") })
        #expect(d.stop() == 0)
    }

    /// Entries made in new/ itself, not renamed into it, while the daemon serves: each kind is refused within a
    /// second or so (inotify's IN_CREATE, the rescan under it), a file still open for writing is left until it
    /// is closed and then taken whole, and a maildir `link` delivery (its tmp/ name removed just after) is taken.
    @Test func entriesMadeInNewItselfAreTakenOrRefusedWhileServing() throws {
        let dir = TempDir("spool-made")
        let d = try start(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let new = d.spool + "/new/"
        let good = Array(#"{"url":"https://x.com/a/status/41","category":"harassment"}"#.utf8)
        // Being written in new/ itself: half a report, still open.
        let writer = open(new + "slow", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        #expect(writer >= 0)
        let whole = Array(#"{"url":"https://x.com/a/status/42","category":"harassment","text":"written slowly, taken whole"}"#.utf8)
        _ = whole.withUnsafeBytes { write(writer, $0.baseAddress!, 30) }
        let started = ContinuousClock.now
        writeBytes(dir.sub("target.json"), good)
        symlink(dir.sub("target.json"), new + "symlink")
        mkfifo(new + "fifo", 0o644)
        link(dir.sub("target.json"), new + "hardlink")
        mkdir(new + "directory", 0o755)
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in (new + "socket").utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        let expected: [(String, String)] = [("symlink", "symbolic link"), ("fifo", "not a regular file"), ("hardlink", "2 hard links"),
                                            ("directory", "not a regular file"), ("socket", "cannot be opened")]
        #expect(waitUntil(timeout: 3) { expected.allSatisfy { FileManager.default.fileExists(atPath: d.spool + "/rejected/" + $0.0 + ".reason") } })
        let took = ContinuousClock.now - started
        #expect(took < .seconds(3), "all five refused in \(took)")
        for (name, words) in expected {
            let reason = String(decoding: readBytes(d.spool + "/rejected/" + name + ".reason"), as: UTF8.self)
            #expect(reason.contains(words), "\(name): \(reason)")
            #expect(!reason.contains("owner: unknown"), "the entry's owner is named, for their receipt: \(reason)")
        }
        close(sock)
        // The hard link was refused only after a rescan had seen it past its grace, so new/ was read again while
        // `slow` was open: it is still there, untaken.
        #expect(FileManager.default.fileExists(atPath: new + "slow"))
        #expect(!FileManager.default.fileExists(atPath: d.spool + "/done/slow") && !FileManager.default.fileExists(atPath: d.spool + "/rejected/slow"))
        _ = whole.withUnsafeBytes { write(writer, $0.baseAddress! + 30, whole.count - 30) }
        close(writer)
        #expect(waitUntil { FileManager.default.fileExists(atPath: d.spool + "/done/slow") })
        let received = journalRecords(d.journal).filter { $0.type == EventType.reportReceived }
        #expect(received.contains { $0.data["key"] == "spool:slow" && $0.data["text"] == "written slowly, taken whole" })
        // A maildir writer delivering by link: for a moment the file has two links.
        writeBytes(d.spool + "/tmp/linked", good)
        link(d.spool + "/tmp/linked", new + "linked")
        unlink(d.spool + "/tmp/linked")
        #expect(waitUntil { FileManager.default.fileExists(atPath: d.spool + "/done/linked") })
        #expect(!FileManager.default.fileExists(atPath: d.spool + "/rejected/linked"))
        #expect(d.stop() == 0)
    }

    @Test func aFileAlreadyJournaledIsMovedNotAppliedTwice() throws {
        let dir = TempDir("spool-dedup")
        let d1 = try start(dir)
        Self.drop(d1.spool, "once", Array(#"{"url":"https://x.com/a/status/9","category":"impersonation"}"#.utf8))
        #expect(waitUntil { FileManager.default.fileExists(atPath: d1.spool + "/done/once") })
        #expect(d1.stop() == 0)
        // As if the daemon had crashed after journaling but before moving the file: put it back in new/.
        rename(d1.spool + "/done/once", d1.spool + "/new/once")
        let d2 = try start(dir)
        defer { if d2.process.isRunning { kill(d2.process.processIdentifier, SIGKILL) } }
        #expect(waitUntil { FileManager.default.fileExists(atPath: d2.spool + "/done/once") })
        #expect(journalRecords(d2.journal).filter { $0.type == EventType.reportReceived }.count == 1)
        #expect(d2.stop() == 0)
    }

    @Test func moreFilesThanTheKernelQueueHoldsAreAllTaken() throws {
        let dir = TempDir("spool-overflow")
        let d = try start(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        // The kernel queues 16,384 events (fs.inotify.max_queued_events). The watcher reads them faster than
        // renames come, so the daemon is stopped (SIGSTOP) while 20,000 files are renamed in: the queue overflows.
        let count = 20_000
        // Written to tmp/ first, then renamed in as fast as possible: far faster than reports are journaled.
        for i in 0..<count {
            writeBytes(d.spool + "/tmp/r\(i)", Array(#"{"url":"https://x.com/storm/status/\#(i % 50)","category":"negative-viral"}"#.utf8))
        }
        kill(d.process.processIdentifier, SIGSTOP)
        for i in 0..<count { rename(d.spool + "/tmp/r\(i)", d.spool + "/new/r\(i)") }
        kill(d.process.processIdentifier, SIGCONT)
        #expect(waitUntil(timeout: 300) { ((try? FileManager.default.contentsOfDirectory(atPath: d.spool + "/done"))?.count ?? 0) == count })
        #expect((try? FileManager.default.contentsOfDirectory(atPath: d.spool + "/new"))?.isEmpty == true)
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("overflowed; rescanning"), "the queue overflowed and was rescanned")
        #expect(journalRecords(d.journal).filter { $0.type == EventType.reportReceived }.count == count)
        #expect(d.stop() == 0)
    }
}

/// SIGKILL in the middle of a stream of socket and spool reports: after a restart every acknowledged report is
/// in the journal exactly once, no file is left in new/, and the deadlines are armed again. Three rounds in CI;
/// `scripts/fault-suite` runs fifty (FIREBREAK_FAULT_ROUNDS).
@Suite(.serialized) struct DaemonCrashTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["FIREBREAK_FAULT_ROUNDS"] ?? "") ?? 3

    @Test func everyAcknowledgedReportSurvivesSIGKILLOnceAndItsDeadlinesAreArmedAgain() throws {
        let dir = TempDir("daemon-kill")
        let spoolTests = SpoolTests()
        var acknowledged: [String: String] = [:]  // report id → incident
        var sent = 0
        var dropped = 0
        // Snapshots every 25 records, so most restarts resume from one written moments before the kill.
        let snapshots = ["--snapshot-every", "25"]
        for round in 0..<Self.rounds {
            let d = try spoolTests.start(dir, arguments: snapshots)
            let socket = dir.sub("fb.sock")
            let killAt = Date().addingTimeInterval(Double.random(in: 0.2...0.6))
            // Reports over the socket until the daemon is killed under us; a reply means it is durable. Files
            // go into the spool meanwhile.
            let pid = d.process.processIdentifier
            let killer = Thread {
                Thread.sleep(until: killAt)
                kill(pid, SIGKILL)
            }
            killer.start()
            while d.process.isRunning {
                sent += 1
                if sent % 4 == 0 {
                    dropped += 1
                    SpoolTests.drop(d.spool, "r\(round)-\(dropped)", Array(#"{"url":"https://x.com/s/status/\#(dropped % 30)","category":"harassment"}"#.utf8))
                }
                let line = #"{"v":1,"id":\#(sent),"op":"report","args":{"report":{"url":"https://x.com/k/status/\#(sent % 40)","category":"privacy-breach"},"key":"r\#(sent)"}}"#
                let reply = SocketTests.raw(socket, Array(line.utf8) + [0x0A])
                guard let answer = try? JSONParser.parse(reply.trimmingCharacters(in: .whitespacesAndNewlines)),
                      answer["ok"] == true, let report = answer["result"]?["report"]?.stringValue,
                      let incident = answer["result"]?["incident"]?.stringValue else { continue }
                acknowledged[report] = incident
            }
            d.process.waitUntilExit()
            #expect(d.process.terminationReason == .uncaughtSignal, "round \(round)")
        }
        #expect(acknowledged.count > 20, "\(acknowledged.count) acknowledged reports")
        let d = try spoolTests.start(dir, arguments: snapshots)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        // Every dropped file is taken, once.
        #expect(waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: d.spool + "/new")) ?? ["?"]).isEmpty }, "no file left in new/")
        #expect(waitUntil { journalRecords(d.journal).filter { $0.data["key"]?.stringValue?.hasPrefix("spool:") == true }.count == dropped })
        let received = journalRecords(d.journal).filter { $0.type == EventType.reportReceived }
        let keys = received.compactMap { $0.data["key"]?.stringValue }
        #expect(Set(keys).count == keys.count, "no submission recorded twice")
        var seen: [String: Int] = [:]
        for r in received { seen[r.data["report"]!.stringValue!, default: 0] += 1 }
        for (report, incident) in acknowledged {
            #expect(seen[report] == 1, "\(report) recorded exactly once")
            #expect(received.first { $0.data["report"]?.stringValue == report }?.data["incident"]?.stringValue == incident)
        }
        // Deadlines are armed again: the replayed daemon tells systemd its open incidents and next deadline.
        // (Reports made durable just before a kill, whose reply never arrived, may have opened more.)
        let incidents = Set(acknowledged.values).count
        let status = d.notify.receive(containing: "; next deadline 20")
        let open = status.flatMap { s in s.range(of: "STATUS=").flatMap { Int(s[$0.upperBound...].prefix { $0.isNumber }) } }
        #expect((open ?? 0) >= incidents, "\(status ?? "no STATUS"), \(incidents) incidents acknowledged")
        #expect(d.stop() == 0)
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("replayed from the snapshot at seq"), "restarts resumed from snapshots")
        #expect(!log.contains("does not hold up against the journal") && !log.contains("snapshot not used"))
        #expect(try JournalVerifier.verify(directory: d.journal).intact)
    }

    /// A power loss after the daemon acknowledged reports through the redo tail: the segment loses everything
    /// since its last sync (simulated after a SIGKILL by cutting it back to where the tail's lap starts, with a
    /// hole in what is left). The next start writes the lap back before reading: every acknowledged report is
    /// there, the daemon says what it restored, and the journal verifies.
    @Test func reportsAcknowledgedBeforeAPowerLossComeBackFromTheTail() throws {
        let dir = TempDir("daemon-power")
        let spoolTests = SpoolTests()
        let d = try spoolTests.start(dir)
        let socket = dir.sub("fb.sock")
        var acknowledged: [String: String] = [:]
        for n in 1...30 {
            let line = #"{"v":1,"id":\#(n),"op":"report","args":{"report":{"url":"https://x.com/p/status/\#(n % 7)","category":"harassment"}}}"#
            let answer = try JSONParser.parse(SocketTests.raw(socket, Array(line.utf8) + [0x0A]).trimmingCharacters(in: .whitespacesAndNewlines))
            if let report = answer["result"]?["report"]?.stringValue, let incident = answer["result"]?["incident"]?.stringValue {
                acknowledged[report] = incident
            }
        }
        #expect(acknowledged.count == 30)
        kill(d.process.processIdentifier, SIGKILL)
        d.process.waitUntilExit()
        let lap = TailRing.lap(in: readBytes(d.journal + "/" + TailRing.fileName))
        let first = try #require(lap.first, "the tail holds the batches since the segment's last sync")
        let segment = d.journal + "/" + Segments.name(first.segment)
        var kept = Array(readBytes(segment).prefix(first.offset + 400))
        for i in (first.offset + 100)..<min(kept.count, first.offset + 300) { kept[i] = 0 }
        writeBytes(segment, kept)

        let again = try spoolTests.start(dir)
        #expect(again.stop() == 0)
        let received = journalRecords(again.journal).filter { $0.type == EventType.reportReceived }
        for (report, incident) in acknowledged {
            #expect(received.filter { $0.data["report"]?.stringValue == report }.map { $0.data["incident"]?.stringValue } == [incident], "\(report)")
        }
        let started = journalRecords(again.journal).last { $0.type == "daemon.started" }
        #expect((started?.data["tail_bytes_repaired"]?.intValue ?? 0) > 0)
        #expect(String(decoding: readBytes(dir.sub("log")), as: UTF8.self).contains("the tail ring restored"))
        #expect(try JournalVerifier.verify(directory: again.journal).intact)
    }
}
