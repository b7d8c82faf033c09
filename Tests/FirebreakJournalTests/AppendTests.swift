import Crypto
import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport

@Suite struct AppendTests {
    @Test func appendsGetConsecutiveSeqsChainedFromGenesis() async throws {
        let dir = TempDir()
        let journal = try Journal.open(directory: dir.path)
        let a = try await journal.append(entry(1))
        let b = try await journal.append([entry(2), entry(3)])
        try await journal.close()
        #expect(a.seq == 1 && a.prev == genesisHash)
        #expect(b.map(\.seq) == [2, 3])
        #expect(b[0].prev == a.hash && b[1].prev == b[0].hash)
        let scan = try JournalReader.scan(directory: dir.path)
        #expect(scan.problem == nil && scan.lastSeq == 3 && scan.lastHash == b[1].hash)
    }

    @Test func whatIsReadBackEqualsWhatWasAppended() async throws {
        let dir = TempDir()
        let journal = try Journal.open(directory: dir.path)
        let data: JSONValue = ["text": "line one\nline \"two\" é 😀", "reach": ["views": 120_000, "ratio": 0.25], "tags": [nil, true]]
        let written = try await journal.append(JournalEntry(time: t0, type: "report.received", actor: "alice", data: data))
        try await journal.close()
        var read: [JournalRecord] = []
        _ = try JournalReader.scan(directory: dir.path) { read.append($0) }
        #expect(read == [written])
    }

    @Test func concurrentAppendersShareSyncsAndLoseNothing() async throws {
        let dir = TempDir()
        let syncs = Counter()
        var options = JournalOptions()
        options.dataSync = DataSync { fd in
            syncs.add()
            return DataSync.system.call(fd)
        }
        let journal = try Journal.open(directory: dir.path, options: options)
        let appenders = 64, each = 20
        let seqs = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for w in 0..<appenders {
                group.addTask {
                    var mine: [UInt64] = []
                    for n in 0..<each { mine.append(try await journal.append(entry(w * 1000 + n)).seq) }
                    return mine
                }
            }
            var all: [UInt64] = []
            for try await part in group { all += part }
            return all
        }
        try await journal.close()
        #expect(seqs.sorted() == Array(1...UInt64(appenders * each)))
        // Group commit: far fewer syncs than appends when 64 appenders wait at once.
        #expect(syncs.value < appenders * each / 2, "\(syncs.value) syncs for \(appenders * each) appends")
        #expect(try JournalVerifier.verify(directory: dir.path).intact)
    }

    /// The desk writes on its own thread (`appendNow`) while others queue for the writer thread: the two take
    /// turns, so every record lands once, in one unbroken chain, and the timed checkpoint still comes.
    @Test func appendsOnTheCallersThreadAndQueuedAppendsShareOneChain() async throws {
        let dir = TempDir()
        var options = JournalOptions()
        options.signer = CheckpointSigner(privateKey: Curve25519.Signing.PrivateKey())
        options.checkpointEverySeconds = 0.2
        options.checkpointEveryRecords = 1_000_000
        let journal = try Journal.open(directory: dir.path, options: options)
        // On a thread of its own, as the desk does: appendNow blocks its caller through the sync.
        async let inline: [[UInt64]] = withCheckedContinuation { done in
            Thread { done.resume(returning: (0..<300).map { n in (try? journal.appendNow([entry(n), entry(10_000 + n)]).map(\.seq)) ?? [] }) }.start()
        }
        let queued = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for w in 0..<8 {
                group.addTask { var mine: [UInt64] = []; for n in 0..<50 { mine.append(try await journal.append(entry(20_000 + w * 100 + n)).seq) }; return mine }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let inlineSeqs = await inline.flatMap { $0 }
        #expect(inlineSeqs.count == 600)
        // Each inline append's two records are consecutive: nobody else's record comes between them.
        for pair in stride(from: 0, to: inlineSeqs.count, by: 2) { #expect(inlineSeqs[pair + 1] == inlineSeqs[pair] + 1) }
        // The writer thread's timer seals what is there while the journal idles: wait for that checkpoint.
        #expect(await eventually(timeout: 20) { journalRecords(dir.path).last?.type == checkpointRecordType })
        let head = journal.head.seq
        try await journal.close()
        var types: [String] = []
        var seqs: [UInt64] = []
        let scan = try JournalReader.scan(directory: dir.path) { r in
            types.append(r.type)
            if r.type != checkpointRecordType { seqs.append(r.seq) }
        }
        #expect(scan.problem == nil)
        #expect(Set(seqs) == Set(inlineSeqs + queued) && seqs.count == 1_000)
        // The writer thread's timer sealed the records (written mostly by the other thread) while the journal
        // idled: the last record is that checkpoint, and close had nothing left to seal.
        #expect(types.last == checkpointRecordType)
        #expect(head > 1_000 && types.count == Int(head), "head \(head) before close, \(types.count) records after")
        #expect(try JournalVerifier.verify(directory: dir.path).intact)
    }

    @Test func segmentsRotateBySizeAndTheChainRunsAcrossThem() throws {
        let dir = TempDir()
        var options = JournalOptions()
        options.maxSegmentBytes = 2_000
        let journal = try Journal.open(directory: dir.path, options: options)
        for n in 1...60 { _ = try journal.appendNow([entry(n)]) }
        try journal.closeNow()
        let segments = try Segments.list(dir.path)
        #expect(segments.count > 5)
        #expect(segments == Array(1...segments.count))
        for s in segments.dropLast() {
            let size = readBytes(dir.sub(Segments.name(s))).count
            #expect(size <= 2_000 && size > 1_000)
        }
        let report = try JournalVerifier.verify(directory: dir.path)
        #expect(report.intact && report.lastSeq == 60 && report.segmentCount == segments.count)
    }

    @Test func reopeningContinuesTheChain() throws {
        let dir = TempDir()
        let first = try writeJournal(dir.path, count: 5)
        let journal = try Journal.open(directory: dir.path)
        #expect(journal.recovery.lastSeq == 5 && journal.recovery.lastHash == first.last!.hash)
        let next = try journal.appendNow([entry(6)])[0]
        try journal.closeNow()
        #expect(next.seq == 6 && next.prev == first.last!.hash)
        #expect(try JournalVerifier.verify(directory: dir.path).lastSeq == 6)
    }

    @Test func replayDuringOpenSeesRecordsFromTheGivenSeq() throws {
        let dir = TempDir()
        var options = JournalOptions()
        options.maxSegmentBytes = 1_500
        try writeJournal(dir.path, count: 40, options: options)
        var seen: [UInt64] = []
        let journal = try Journal.open(directory: dir.path, replayFrom: 31) { seen.append($0.seq) }
        try journal.closeNow()
        #expect(seen == Array(31...40))
        // The trusted replay skips whole segments before the seq and still starts at it.
        var fast: [UInt64] = []
        let scan = try JournalReader.scan(directory: dir.path, from: 31, trustPrefix: true) { fast.append($0.seq) }
        #expect(fast == Array(31...40) && scan.problem == nil)
    }

    @Test func aSecondWriterIsRefusedWhileTheFirstHoldsTheJournal() throws {
        let dir = TempDir()
        let journal = try Journal.open(directory: dir.path)
        #expect { try Journal.open(directory: dir.path) } throws: { ($0 as? JournalError)?.code == .locked }
        try journal.closeNow()
        let again = try Journal.open(directory: dir.path)
        try again.closeNow()
    }

    @Test func appendsAfterCloseAreRefused() async throws {
        let dir = TempDir()
        let journal = try Journal.open(directory: dir.path)
        try await journal.close()
        await #expect { try await journal.append(entry(1)) } throws: { ($0 as? JournalError)?.code == .closed }
    }

    @Test func oversizedAndMalformedEntriesAreRefusedBeforeAnythingIsWritten() async throws {
        let dir = TempDir()
        var options = JournalOptions()
        options.maxRecordBytes = 1_000
        let journal = try Journal.open(directory: dir.path, options: options)
        let big = JournalEntry(time: t0, type: "x", actor: "a", data: ["blob": .string(String(repeating: "a", count: 2_000))])
        await #expect { try await journal.append(big) } throws: { ($0 as? JournalError)?.code == .tooLarge }
        await #expect { try await journal.append(JournalEntry(time: t0, type: "", actor: "a")) } throws: {
            ($0 as? JournalError)?.code == .invalidEntry
        }
        await #expect { try await journal.append(JournalEntry(time: t0, type: "x", actor: "a", data: [1])) } throws: {
            ($0 as? JournalError)?.code == .invalidEntry
        }
        let ok = try await journal.append(entry(1))
        try await journal.close()
        #expect(ok.seq == 1)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
