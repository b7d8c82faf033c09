import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// firebreakd's part in the journal's guarantees, on the real binary: it recovers a torn tail before READY,
/// refuses a journal damaged in the middle, seals the journal on SIGTERM, and exits non-zero when a sync fails.
@Suite(.serialized) struct DaemonJournalTests {
    let daemon = productPath("firebreakd")

    /// A datagram socket standing in for systemd's notify socket.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init(path: String) {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { buf in
                let bytes = Array(path.utf8)
                for (i, b) in bytes.enumerated() { buf[i] = b }
                buf[bytes.count] = 0
            }
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            precondition(ok == 0, "bind \(path): errno \(errno)")
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd); unlink(path) }

        /// The next datagram, or nil after the 20 s timeout.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }
    }

    func start(_ arguments: [String], env extra: [String: String] = [:], wrapper: [String] = [], log: String) throws -> Process {
        let process = Process()
        if wrapper.isEmpty {
            process.executableURL = URL(fileURLWithPath: daemon)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [daemon] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        process.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        return process
    }

    @Test func recoversATornTailBeforeReadyAndSealsTheJournalOnSIGTERM() throws {
        let dir = TempDir("daemon")
        let state = dir.sub("state")
        let (_, publicPath) = try KeyFile.generate(privatePath: dir.sub("key"))
        try writeJournal(state + "/journal", count: 5)
        let segment = state + "/journal/" + Segments.name(1)
        writeBytes(segment, readBytes(segment) + Array(#"{"seq":6,"time":"2026-11-"#.utf8))

        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let process = try start(["--state-dir", state, "--signing-key", dir.sub("key")],
                                env: ["NOTIFY_SOCKET": notify.path], log: dir.sub("log"))
        let ready = notify.receive()
        #expect(ready?.contains("READY=1") == true, "got \(ready ?? "nothing")")
        #expect(ready?.contains("STATUS=journal at seq 5") == true)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(notify.receive()?.contains("STOPPING=1") == true)
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("torn tail") && log.contains("moved to"), "\(log)")
        // The clean stop sealed the five records with a checkpoint signed by the daemon's key.
        let report = try JournalVerifier.verify(directory: state + "/journal", keys: [VerificationKey.load(path: publicPath)])
        #expect(report.intact && report.lastSeq == 6 && report.sealedThrough == 5)
    }

    @Test func refusesToStartOnAJournalDamagedInTheMiddle() throws {
        let dir = TempDir("daemon-damaged")
        let state = dir.sub("state")
        try writeJournal(state + "/journal", count: 5)
        let segment = state + "/journal/" + Segments.name(1)
        var bytes = readBytes(segment)
        bytes[lineRanges(bytes)[1].lowerBound + 12] ^= 0x01
        writeBytes(segment, bytes)
        let result = try run(daemon, ["--state-dir", state])
        #expect(result.status == 2)
        #expect(result.stderr.contains("seq 2 (00000001.jsonl line 2"), "\(result.stderr)")
        #expect(result.stderr.contains("firebreak journal verify"))
        #expect(readBytes(segment) == bytes, "a refused journal is left untouched")
    }

    @Test(.enabled(if: CrashTests.fiuRun != nil, "needs fiu-run (Debian's fiu-utils)"))
    func exitsNonZeroWhenTheSyncOfItsFinalCheckpointFails() throws {
        let dir = TempDir("daemon-fiu")
        let state = dir.sub("state")
        _ = try KeyFile.generate(privatePath: dir.sub("key"))
        try writeJournal(state + "/journal", count: 3)
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let process = try start(["--state-dir", state, "--signing-key", dir.sub("key")],
                                env: ["NOTIFY_SOCKET": notify.path],
                                wrapper: [CrashTests.fiuRun!, "-x", "-c", "enable name=posix/io/sync/fdatasync"],
                                log: dir.sub("log"))
        #expect(notify.receive()?.contains("READY=1") == true)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 3)
        let log = String(decoding: readBytes(dir.sub("log")), as: UTF8.self)
        #expect(log.contains("fdatasync") && log.contains("failed"), "\(log)")
        // The unacknowledged checkpoint was cut off: the journal is as it was.
        let report = try JournalVerifier.verify(directory: state + "/journal")
        #expect(report.intact && report.lastSeq == 3)
    }
}
