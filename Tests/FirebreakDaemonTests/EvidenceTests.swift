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

/// Evidence, for real: a screenshot handed to `firebreak report --evidence` by a real user, passed over the
/// socket as a descriptor, stored content-addressed, journaled with SHA-256, size and type, shown and fetched by
/// responders only; files beside a spool report; what is not a plain file, too large, or someone else's, refused.
@Suite(.serialized) struct EvidenceTests {
    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    /// A small PNG: the signature and some bytes (the type is found from the signature, not the name).
    static func png(_ seed: UInt8) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<600).map { UInt8(truncatingIfNeeded: Int($0) * 7 + Int(seed)) }
    }

    /// Sends a request with descriptors attached, as a client that skips the command line's checks would.
    static func requestWithFDs(_ socket: String, _ line: String, fds: [Int32]) -> String {
        let fd = UnixSocket.connected(to: socket)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = UnixSocket.sendAll(fd, Array((line + "\n").utf8), fds: fds)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !out.contains(0x0A) {
            let r = UnixSocket.receive(fd, into: &chunk)
            r.fds.forEach { close($0) }
            if r.count <= 0 { break }
            out.append(contentsOf: chunk[0..<r.count])
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test(.enabled(if: DaemonHarness.usersReady, "needs root and useradd to create the test users"))
    func aScreenshotGivenToReportIsStoredJournaledAndFetchedByRespondersOnly() throws {
        let dir = TempDir("evidence")
        chmod(dir.path, 0o755)
        let config = dir.sub("firebreakd.yaml")
        try "evidence_max_bytes: 1K\n".write(toFile: config, atomically: true, encoding: .utf8)
        let sockets = DaemonHarness()
        let (d, _) = try sockets.startDaemon(dir, arguments: ["--config", config])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }

        // Kim's own screenshot, readable by Kim only: the daemon reads it through the descriptor Kim passes.
        let shot = Self.png(1)
        let shotPath = dir.sub("shot.png")
        writeBytes(shotPath, shot)
        let kim = getpwnam(DaemonHarness.reporterUser)!.pointee
        chown(shotPath, kim.pw_uid, kim.pw_gid)
        chmod(shotPath, 0o600)
        let report = try sockets.cli(["report", "https://x.com/leaker/status/9", "--category", "privacy-breach", "--evidence", shotPath, "--json"],
                                     as: DaemonHarness.reporterUser, socket: d.socket)
        #expect(report.status == 0, "\(report.stdout)\(report.stderr)")
        let result = try JSONParser.parse(report.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let digest = Self.sha256(shot)
        #expect(result["evidence"]?.arrayValue?.first?["sha256"]?.stringValue == digest)
        #expect(result["evidence"]?.arrayValue?.first?["size"]?.intValue == Int64(shot.count))
        #expect(result["evidence"]?.arrayValue?.first?["type"] == "image/png" && result["evidence"]?.arrayValue?.first?["name"] == "shot.png")

        // Stored content-addressed, and the journal says what it is.
        let stored = d.state + "/evidence/sha256/" + digest.prefix(2) + "/" + digest
        #expect(readBytes(stored) == shot)
        let received = journalRecords(d.state + "/journal").first { $0.type == EventType.reportReceived }
        #expect(received?.data["evidence"]?.arrayValue?.first?["sha256"]?.stringValue == digest)
        #expect(received?.data["evidence"]?.arrayValue?.first?["type"] == "image/png")

        // Responders see and fetch it; the reporter's view of the incident does not list it, nor may they fetch it.
        let shown = try sockets.cli(["show", "INC-1", "--json"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(try JSONParser.parse(shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["evidence"]?.arrayValue?.first?["sha256"]?.stringValue == digest)
        let reporterView = try sockets.cli(["show", "INC-1", "--json"], as: DaemonHarness.reporterUser, socket: d.socket)
        #expect(reporterView.status == 0 && !reporterView.stdout.contains("\"evidence\":"), "\(reporterView.stdout)")
        let amira = getpwnam(DaemonHarness.responderUser)!.pointee
        let out = dir.sub("out")
        mkdir(out, 0o700)
        chown(out, amira.pw_uid, amira.pw_gid)
        let copy = out + "/copy.png"
        let saved = try sockets.cli(["evidence", "INC-1", digest, "-o", copy], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(saved.status == 0 && readBytes(copy) == shot, "\(saved.stderr)")
        let refused = try sockets.cli(["evidence", "INC-1", digest], as: DaemonHarness.reporterUser, socket: d.socket)
        #expect(refused.status == 1 && refused.stderr.contains("only responders and managers"), "\(refused.stderr)")

        // A stored file altered behind the journal's back is caught on the way out.
        var altered = shot
        altered[100] ^= 0xFF
        writeBytes(stored, altered)
        let caught = try sockets.cli(["evidence", "INC-1", digest, "-o", out + "/altered.png"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(caught.status == 1 && caught.stderr.contains("altered"), "\(caught.stderr)")

        // Refused: a directory (by the command line, and by the daemon when a client skips the check), a FIFO,
        // a file over the configured 1 KiB, more descriptors than names. Nothing is journaled for them.
        let directory = try sockets.cli(["report", "https://x.com/leaker/status/10", "--evidence", dir.path], socket: d.socket)
        #expect(directory.status != 0 && directory.stderr.contains("is not a regular file"), "\(directory.stderr)")
        let line = #"{"v":1,"id":7,"op":"report","args":{"report":{"url":"https://x.com/leaker/status/11"},"evidence":[{"name":"x"}]}}"#
        let dirFD = open(dir.path, O_RDONLY | O_DIRECTORY)
        #expect(Self.requestWithFDs(d.socket, line, fds: [dirFD]).contains("is not a regular file (a directory)"))
        close(dirFD)
        mkfifo(dir.sub("fifo"), 0o600)
        let fifoFD = open(dir.sub("fifo"), O_RDWR | O_NONBLOCK)
        #expect(Self.requestWithFDs(d.socket, line, fds: [fifoFD]).contains("is not a regular file (a FIFO)"))
        close(fifoFD)
        writeBytes(dir.sub("big.bin"), [UInt8](repeating: 7, count: 2048))
        let big = try sockets.cli(["report", "https://x.com/leaker/status/12", "--evidence", dir.sub("big.bin")], socket: d.socket)
        #expect(big.status == 1 && big.stderr.contains("over the 1024-byte limit"), "\(big.stderr)")
        let shotFD = open(shotPath, O_RDONLY)
        #expect(Self.requestWithFDs(d.socket, #"{"v":1,"id":8,"op":"report","args":{"report":{"url":"https://x.com/leaker/status/13"}}}"#, fds: [shotFD])
            .contains("\"evidence\\\" names 0 files but 1 were passed"))
        close(shotFD)
        let incidents = journalRecords(d.state + "/journal").filter { $0.type == EventType.incidentOpened }
        #expect(incidents.count == 1)
        #expect(d.stop() == 0)
    }

    @Test func filesBesideASpoolReportAreStoredAndFollowItAndBadOnesRejectIt() throws {
        let dir = TempDir("evidence-spool")
        let d = try SpoolTests().start(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let page = Array("<!DOCTYPE html><html><body>the post, saved</body></html>".utf8)
        writeBytes(d.spool + "/evidence/saved.html", page)
        SpoolTests.drop(d.spool, "1.report", Array(#"{"url":"https://x.com/a/status/1","evidence":["saved.html"]}"#.utf8))
        #expect(waitUntil { FileManager.default.fileExists(atPath: d.spool + "/done/1.report") })
        #expect(readBytes(d.spool + "/done/1.report.saved.html") == page, "the evidence follows its report to done/")
        let received = journalRecords(d.journal).first { $0.type == EventType.reportReceived }
        #expect(received?.data["evidence"]?.arrayValue?.first?["sha256"]?.stringValue == Self.sha256(page))
        #expect(received?.data["evidence"]?.arrayValue?.first?["type"] == "text/html")

        // Missing, a symbolic link, a name that walks directories: the report is rejected naming the field.
        SpoolTests.drop(d.spool, "2.report", Array(#"{"url":"https://x.com/a/status/2","evidence":["missing.png"]}"#.utf8))
        symlink("/etc/shadow", d.spool + "/evidence/link.png")
        SpoolTests.drop(d.spool, "3.report", Array(#"{"url":"https://x.com/a/status/3","evidence":["link.png"]}"#.utf8))
        SpoolTests.drop(d.spool, "4.report", Array(#"{"url":"https://x.com/a/status/4","evidence":["a/../../journal/00000001.jsonl"]}"#.utf8))
        for n in 2...4 { #expect(waitUntil { FileManager.default.fileExists(atPath: d.spool + "/rejected/\(n).report.reason") }) }
        func reason(_ n: Int) -> String { String(decoding: readBytes(d.spool + "/rejected/\(n).report.reason"), as: UTF8.self) }
        #expect(reason(2).contains("field: evidence[0]") && reason(2).contains("there is no evidence/missing.png"), "\(reason(2))")
        #expect(reason(3).contains("is a symbolic link"), "\(reason(3))")
        #expect(reason(4).contains("evidence[0]") && reason(4).contains("without directories"), "\(reason(4))")
        if DaemonHarness.usersReady {
            // Someone else's file cannot be attached (nor moved away by a report naming it).
            let other = getpwnam(DaemonHarness.responderUser)!.pointee
            writeBytes(d.spool + "/evidence/theirs.png", Self.png(2))
            chown(d.spool + "/evidence/theirs.png", other.pw_uid, other.pw_gid)
            SpoolTests.drop(d.spool, "5.report", Array(#"{"url":"https://x.com/a/status/5","evidence":["theirs.png"]}"#.utf8))
            #expect(waitUntil { FileManager.default.fileExists(atPath: d.spool + "/rejected/5.report.reason") })
            #expect(reason(5).contains("belongs to \(DaemonHarness.responderUser)"), "\(reason(5))")
            #expect(FileManager.default.fileExists(atPath: d.spool + "/evidence/theirs.png"))
        }
        #expect(journalRecords(d.journal).filter { $0.type == EventType.incidentOpened }.count == 1)
        #expect(d.stop() == 0)
    }
}
