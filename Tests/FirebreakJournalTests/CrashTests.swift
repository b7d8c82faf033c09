import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport

/// Real processes, real signals: what a writer acknowledged survives SIGKILL, and a writer whose fdatasync
/// fails (libfiu's fiu-run, on the real binary) acknowledges nothing more and exits non-zero.
@Suite(.serialized) struct CrashTests {
    struct Ack: Hashable {
        let seq: UInt64
        let writer: Int64
        let n: Int64
    }

    static func acks(in text: String) -> [Ack] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 4, f[0] == "ACK", let s = UInt64(f[1]), let w = Int64(f[2]), let n = Int64(f[3]) else { return nil }
            return Ack(seq: s, writer: w, n: n)
        }
    }

    /// Starts append-stream with its stdout going to a file, so that what it printed before dying is kept.
    static func start(_ arguments: [String], output: String, wrapper: [String] = []) throws -> Process {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        let bench = productPath("firebreak-bench")
        if wrapper.isEmpty {
            process.executableURL = URL(fileURLWithPath: bench)
            process.arguments = ["append-stream"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [bench, "append-stream"] + arguments
        }
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output)
        try process.run()
        return process
    }

    static func waitForAcks(_ output: String, atLeast count: Int, timeout: Double = 20) -> [Ack] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let acks = Self.acks(in: String(decoding: readBytes(output), as: UTF8.self))
            if acks.count >= count { return acks }
            usleep(2_000)
        }
        return Self.acks(in: String(decoding: readBytes(output), as: UTF8.self))
    }

    static func recordsOnDisk(_ directory: String) throws -> (records: [UInt64: JournalRecord], scan: JournalScan) {
        var records: [UInt64: JournalRecord] = [:]
        let scan = try JournalReader.scan(directory: directory) { records[$0.seq] = $0 }
        return (records, scan)
    }

    @Test func everyAcknowledgedAppendSurvivesSIGKILLTwentyTimes() throws {
        let dir = TempDir("kill")
        let journal = dir.sub("j")
        var allAcks: [Ack] = []
        var tornTails = 0
        for round in 0..<20 {
            let output = dir.sub("out-\(round)")
            let process = try Self.start([journal, "--appenders", "16", "--segment-bytes", "200000"], output: output)
            // Let it get going, then kill it at a random moment.
            _ = Self.waitForAcks(output, atLeast: 1)
            usleep(UInt32.random(in: 5_000...150_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            let text = String(decoding: readBytes(output), as: UTF8.self)
            if text.contains("RECOVERED") { tornTails += 1 }
            let acks = Self.acks(in: text)
            #expect(!acks.isEmpty, "round \(round) acknowledged nothing")
            allAcks += acks
            // Read without repairing: everything acknowledged so far is in the valid prefix, as it was written.
            let (records, scan) = try Self.recordsOnDisk(journal)
            #expect(scan.problem == nil || scan.problem!.isTornTail, "round \(round): \(scan.problem?.description ?? "")")
            for ack in allAcks {
                let record = records[ack.seq]
                #expect(record?.data["writer"]?.intValue == ack.writer && record?.data["n"]?.intValue == ack.n,
                        "round \(round): acknowledged seq \(ack.seq) missing or different")
            }
        }
        // Reopen (cutting any torn tail) and verify with the real command line.
        try Journal.open(directory: journal).closeNow()
        let verify = try run(productPath("firebreak"), ["journal", "verify", journal])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(Set(allAcks.map(\.seq)).count == allAcks.count, "no seq acknowledged twice")
        print("SIGKILL rounds: 20, acknowledged appends: \(allAcks.count), torn tails recovered: \(tornTails)")
    }

    @Test(.enabled(if: TestPaths.fiuRun != nil, "needs fiu-run (Debian's fiu-utils; .ci/run installs it)"))
    func aFdatasyncFailingMidStreamStopsTheWriterWithoutAcknowledgingIt() throws {
        let dir = TempDir("fiu")
        let journal = dir.sub("j")
        let output = dir.sub("out")
        let fifoBase = dir.sub("fiu-ctrl")
        let process = try Self.start([journal, "--appenders", "8"], output: output,
                                     wrapper: [TestPaths.fiuRun!, "-x", "-f", fifoBase])
        let before = Self.waitForAcks(output, atLeast: 200)
        #expect(before.count >= 200)
        let ctrl = try run("/usr/bin/fiu-ctrl", ["-f", fifoBase, "-c", "enable name=posix/io/sync/fdatasync", String(process.processIdentifier)])
        #expect(ctrl.status == 0, "fiu-ctrl: \(ctrl.stderr)")
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 3)
        let text = String(decoding: readBytes(output), as: UTF8.self)
        // libfiu picks the errno (EIO, EROFS, EBADF, EINVAL); any of them must stop the writer.
        #expect(text.contains("FAIL") && text.contains("fdatasync of"))
        let acks = Self.acks(in: text)
        let (records, scan) = try Self.recordsOnDisk(journal)
        #expect(scan.problem == nil || scan.problem!.isTornTail)
        for ack in acks {
            #expect(records[ack.seq]?.data["n"]?.intValue == ack.n, "acknowledged seq \(ack.seq) is on disk")
        }
        // The batch whose sync failed was never acknowledged and was cut off.
        #expect(UInt64(acks.count) == scan.lastSeq, "acknowledged \(acks.count), on disk \(scan.lastSeq)")
    }

    @Test(.enabled(if: TestPaths.fiuRun != nil, "needs fiu-run (Debian's fiu-utils; .ci/run installs it)"))
    func aWriterWhoseFirstSyncFailsAcknowledgesNothingAndExitsNonZero() throws {
        let dir = TempDir("fiu0")
        let result = try run(TestPaths.fiuRun!, ["-x", "-c", "enable name=posix/io/sync/fdatasync",
                                            productPath("firebreak-bench"), "append-stream", dir.sub("j"), "--appenders", "4", "--count", "10"])
        #expect(result.status == 3)
        #expect(Self.acks(in: result.stdout).isEmpty)
        #expect(result.stdout.contains("FAIL"))
        let (_, scan) = try Self.recordsOnDisk(dir.sub("j"))
        #expect(scan.lastSeq == 0)
    }
}
