import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The state directory on a small tmpfs that fills up: reports get a clear "not durable" error and nothing is
/// half-done (the batch is taken back, incident numbers are not skipped), the journal stays intact, and work
/// resumes when space returns (part of issue 7's fault suite).
@Suite(.serialized) struct FullDiskTests {
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.path + "/firebreak-tmpfs-probe-\(getpid())"
        mkdir(probe, 0o755)
        defer { rmdir(probe) }
        guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]))?.status == 0 else { return false }
        _ = try? run("/bin/umount", [probe])
        return true
    }()

    /// 2 MB: no room for the journal's 4 MiB redo tail, so batches are synced in their segment; 8 MB: the tail
    /// is made first, and the segment's write is what fails.
    @Test(.enabled(if: canMount, "needs root to mount a small tmpfs"), arguments: ["2m", "8m"])
    func aFullDiskRefusesReportsClearlyCorruptsNothingAndRecovers(size: String) throws {
        let dir = TempDir("full-disk")
        let state = dir.sub("state")
        mkdir(state, 0o755)
        #expect(try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", state]).status == 0)
        defer { _ = try? run("/bin/umount", ["-l", state]) }
        let sockets = DaemonHarness()
        let (d, _) = try sockets.startDaemon(dir, arguments: ["--spool-dir", dir.sub("spool")])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }

        // Fill the disk, leaving room for a few reports only.
        let filler = state + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0x55, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == 4096 {}
        close(fd)
        truncate(filler, off_t(max(0, Int(readBytes(filler).count) - 24 * 1024)))

        var acknowledged: [String] = []
        var refusal: JSONValue = .null
        var refused = ""
        for n in 1...40 {
            let line = #"{"v":1,"op":"report","args":{"report":{"url":"https://x.com/full/status/\#(n)","category":"harassment","text":"report \#(n)"}}}"#
            let r = MalformedInputTests.socketReply(d.socket, line)
            if r["ok"] == true, let inc = r["result"]?["incident"]?.stringValue { acknowledged.append(inc) } else { refusal = r; refused = line; break }
        }
        #expect(!acknowledged.isEmpty, "some reports fit")
        #expect(refusal["error"]?["code"] == "not-durable", "\(refusal)")
        #expect(refusal["error"]?["message"]?.stringValue?.contains("No space left on device") == true, "\(refusal)")
        #expect(d.process.isRunning, "a full disk is not a reason to stop")
        // Still full: the same report is refused again (a smaller one might fit in what is left), and reads go
        // on working.
        #expect(MalformedInputTests.socketReply(d.socket, refused)["ok"] == false)
        #expect(MalformedInputTests.socketReply(d.socket, #"{"v":1,"op":"incidents","args":{}}"#)["ok"] == true)

        // Space returns: work resumes, and the next incident number follows the last acknowledged one.
        unlink(filler)
        let after = MalformedInputTests.socketReply(d.socket, #"{"v":1,"op":"report","args":{"report":{"url":"https://x.com/full/status/100"}}}"#)
        #expect(after["ok"] == true, "\(after)")
        #expect(after["result"]?["incident"]?.stringValue == "INC-\(acknowledged.count + 1)", "no number was used up by a refused report")
        #expect(d.stop() == 0)
        #expect(try JournalVerifier.verify(directory: state + "/journal").intact)
        let received = journalRecords(state + "/journal").filter { $0.type == EventType.reportReceived }
        #expect(received.count == acknowledged.count + 1, "exactly the acknowledged reports are in the journal")
        let log = String(decoding: readBytes(d.log), as: UTF8.self)
        #expect(log.contains("no room for the tail ring") == (size == "2m"), "\(size): \(log)")
    }
}
