import Crypto
import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Synchronization
import Testing
@testable import FirebreakTestSupport

@Suite struct CheckpointTests {
    static func keyPair(_ dir: TempDir) throws -> (signer: CheckpointSigner, publicKey: VerificationKey, privatePath: String, publicPath: String) {
        let path = dir.sub("signing-key")
        let (signer, publicPath) = try KeyFile.generate(privatePath: path)
        return (signer, try VerificationKey.load(path: publicPath), path, publicPath)
    }

    @Test func checkpointsFollowEveryNRecordsAndSealTheRecordBefore() throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        var options = JournalOptions()
        options.signer = keys.signer
        options.checkpointEveryRecords = 5
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        for n in 1...12 { _ = try journal.appendNow([entry(n)]) }
        try journal.closeNow()
        var records: [JournalRecord] = []
        _ = try JournalReader.scan(directory: dir.sub("j")) { records.append($0) }
        let checkpoints = records.filter { $0.type == checkpointRecordType }
        // After records 5 and 10 (seq 6 and 12), and one at close sealing the last two (seq 15).
        #expect(checkpoints.map(\.seq) == [6, 12, 15])
        for c in checkpoints {
            let fields = try #require(Checkpoint.Fields(c.data))
            #expect(fields.coversSeq == c.seq - 1 && fields.coversHash == c.prev)
            #expect(fields.keyID == keys.signer.keyID)
            #expect(keys.publicKey.isValid(fields))
        }
        let report = try JournalVerifier.verify(directory: dir.sub("j"), keys: [keys.publicKey])
        #expect(report.intact && report.sealedThrough == 14 && report.sealedBy == keys.signer.keyID && report.unsealedCount == 0)
    }

    @Test func aCheckpointFollowsAfterTheIntervalWithoutMoreRecords() async throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        var options = JournalOptions()
        options.signer = keys.signer
        options.checkpointEveryRecords = 1_000
        options.checkpointEverySeconds = 0.05
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        _ = try await journal.append(entry(1))
        var sealed = false
        for _ in 0..<200 where !sealed {
            try await Task.sleep(for: .milliseconds(10))
            sealed = journal.head.seq == 2
        }
        #expect(sealed, "a timed checkpoint within 2 s of a 50 ms interval")
        try await journal.close()
        #expect(try JournalVerifier.verify(directory: dir.sub("j"), keys: [keys.publicKey]).sealedThrough == 1)
    }

    /// The interval is on the journal's own clock, the one its records carry: on a manual clock nothing is due
    /// until that clock says so, however long the test takes, and the checkpoint comes when it does.
    @Test func theCheckpointIntervalRunsOnTheInjectedClock() throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        let now = Mutex<Int64>(1_700_000_000_000)
        var options = JournalOptions()
        options.signer = keys.signer
        options.checkpointEveryRecords = 1_000
        options.checkpointEverySeconds = 60
        options.clock = { Timestamp(millisecondsSinceEpoch: now.withLock { $0 }) }
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        _ = try journal.appendNow([entry(1)])
        // 59 s later on the journal's clock: the next append is written alone, no checkpoint with it.
        now.withLock { $0 += 59_000 }
        journal.clockMoved()
        _ = try journal.appendNow([entry(2)])
        #expect(journal.head.seq == 2, "no checkpoint before the interval has passed on the injected clock")
        // One more second and the writer, told the clock moved, seals both without another append.
        now.withLock { $0 += 1_000 }
        journal.clockMoved()
        #expect(waitUntil(timeout: 10) { journal.head.seq == 3 }, "the checkpoint once the injected clock reached the interval")
        try journal.closeNow()
        var records: [JournalRecord] = []
        _ = try JournalReader.scan(directory: dir.sub("j")) { records.append($0) }
        let checkpoint = try #require(records.first { $0.type == checkpointRecordType })
        #expect(checkpoint.seq == 3 && checkpoint.time == Timestamp(millisecondsSinceEpoch: 1_700_000_060_000))
        #expect(try JournalVerifier.verify(directory: dir.sub("j"), keys: [keys.publicKey]).sealedThrough == 2)
    }

    @Test func sealingAppendSealsAtOnceAndIsANoOpWhenNothingIsUnsealed() async throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        var options = JournalOptions()
        options.signer = keys.signer
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        #expect(try journal.appendNow([], seal: true).isEmpty)
        #expect(journal.head.seq == 0, "nothing to seal in an empty journal")
        let records = try journal.appendNow([entry(1), entry(2)], seal: true)
        #expect(records.map(\.seq) == [1, 2] && journal.head.seq == 3, "the checkpoint follows in the same sync")
        #expect(try journal.appendNow([], seal: true).isEmpty && journal.head.seq == 3, "already sealed")
        try await journal.close()
        #expect(try JournalVerifier.verify(directory: dir.sub("j"), keys: [keys.publicKey]).sealedThrough == 2)

        let unsigned = try Journal.open(directory: dir.sub("u"))
        _ = try unsigned.appendNow([entry(1)], seal: true)
        #expect(unsigned.head.seq == 1, "no signer: no checkpoint")
        try await unsigned.close()
    }

    @Test func recordsAfterTheLastCheckpointAreReportedUnsealed() throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        var options = JournalOptions()
        options.signer = keys.signer
        options.checkpointEveryRecords = 4
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        for n in 1...6 { _ = try journal.appendNow([entry(n)]) }
        // Simulate a crash: no clean close, so no final checkpoint. Copy the files while it is open.
        try copyDirectory(dir.sub("j"), dir.sub("crashed"))
        try journal.closeNow()
        let report = try JournalVerifier.verify(directory: dir.sub("crashed"), keys: [keys.publicKey])
        #expect(report.intact && report.sealedThrough == 4 && report.lastSeq == 7 && report.unsealedCount == 2)
    }

    @Test func verifyingWithAKeyFailsAJournalWithoutCheckpoints() throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        try writeJournal(dir.sub("j"), count: 3)
        #expect(try JournalVerifier.verify(directory: dir.sub("j")).intact)
        let report = try JournalVerifier.verify(directory: dir.sub("j"), keys: [keys.publicKey])
        #expect(!report.intact && report.problem?.reason.contains("no record is sealed") == true)
    }

    @Test func aCheckpointByAnotherKeyOrWithABadSignatureFails() throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        let other = TempDir()
        let otherKeys = try Self.keyPair(other)
        var options = JournalOptions()
        options.signer = keys.signer
        try writeJournal(dir.sub("j"), count: 3, options: options)
        let wrongKey = try JournalVerifier.verify(directory: dir.sub("j"), keys: [otherKeys.publicKey])
        #expect(wrongKey.problem?.reason.contains("not among the keys given") == true)
        #expect(try JournalVerifier.verify(directory: dir.sub("j"), keys: [otherKeys.publicKey, keys.publicKey]).intact)

        // A checkpoint whose signature was made over a different hash, re-chained so every hash holds.
        let forged = dir.sub("forged")
        let journal = try Journal.open(directory: forged)
        let r = try journal.appendNow([entry(1), entry(2)])
        var data = keys.signer.checkpointData(coversSeq: 2, coversHash: r[0].hash).objectValue!
        data["covers_hash"] = .string(r[1].hash)
        _ = try journal.appendNow([JournalEntry(time: t0, type: checkpointRecordType, actor: "x", data: .object(data))])
        try journal.closeNow()
        let report = try JournalVerifier.verify(directory: forged, keys: [keys.publicKey])
        #expect(report.problem?.reason == "seq 3: checkpoint signature does not verify with key \(keys.signer.keyID)")
        #expect(try JournalVerifier.verify(directory: forged).intact, "without a key only the structure is checked, and it holds")
    }

    @Test func aPrivateKeyOthersCanReadIsRefused() throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        chmod(keys.privatePath, 0o644)
        #expect { try CheckpointSigner.load(path: keys.privatePath) } throws: {
            ($0 as? JournalError)?.message.contains("chmod 600") == true
        }
        chmod(keys.privatePath, 0o600)
        #expect(try CheckpointSigner.load(path: keys.privatePath).keyID == keys.signer.keyID)
    }

    @Test func theKeyComesFromTheSystemdCredentialsDirectory() throws {
        let dir = TempDir()
        let keys = try Self.keyPair(dir)
        let creds = dir.sub("credentials")
        try FileManager.default.createDirectory(atPath: creds, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: keys.privatePath, toPath: creds + "/journal-signing-key")
        #expect(try CheckpointSigner.fromCredentials(environment: ["CREDENTIALS_DIRECTORY": creds])?.keyID == keys.signer.keyID)
        #expect(try CheckpointSigner.fromCredentials(environment: [:]) == nil)
        #expect(try CheckpointSigner.fromCredentials(environment: ["CREDENTIALS_DIRECTORY": dir.sub("none")]) == nil)
    }

    @Test func keygenNeverOverwritesAKey() throws {
        let dir = TempDir()
        _ = try Self.keyPair(dir)
        #expect { try KeyFile.generate(privatePath: dir.sub("signing-key")) } throws: {
            ($0 as? JournalError)?.message.contains("already exists") == true
        }
    }
}
