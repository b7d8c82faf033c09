import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The redo tail: batches are made durable in a preallocated ring and their segment is synced only when a lap
/// begins, so after a power loss a segment may lack anything since its last sync. Simulated here on a copy
/// of a live journal: each segment is cut back towards its size at its last real sync (all a lost page cache
/// could take), with holes punched in what remains; opening the copy must bring back every acknowledged
/// record, byte for byte.
@Suite struct TailRingTests {
    /// The real data sync, noting each file's size when it was last synced: all a power loss cannot take.
    final class SyncLog: @unchecked Sendable {
        private let lock = NSLock()
        private var synced: [String: Int] = [:]

        var dataSync: DataSync {
            DataSync { fd in
                let e = DataSync.system.call(fd)
                var st = stat()
                var link = [CChar](repeating: 0, count: 4096)
                let n = readlink("/proc/self/fd/\(fd)", &link, link.count - 1)
                if e == 0, fstat(fd, &st) == 0, n > 0 {
                    let path = String(decoding: link[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    self.lock.lock(); self.synced[path] = Int(st.st_size); self.lock.unlock()
                }
                return e
            }
        }

        func syncedSize(_ path: String) -> Int { lock.lock(); defer { lock.unlock() }; return synced[path] ?? 0 }
    }

    /// Copies the live journal and, in the copy, loses what a power loss could: each segment is cut back to its
    /// size when it was last synced, with zeros punched in what the cut leaves of the rest. Then opens it.
    static func loseUnsyncedAndReopen(_ live: String, into copy: String, syncs: SyncLog, options: JournalOptions = JournalOptions())
        throws -> (RecoveryReport, [JournalRecord]) {
        try copyDirectory(live, copy)
        unlink(copy + "/.lock")
        for index in try Segments.list(copy) {
            let name = Segments.name(index)
            let bytes = readBytes(copy + "/" + name)
            let synced = syncs.syncedSize(live + "/" + name)
            guard bytes.count > synced else { continue }
            // Kept: the synced part, then half of the rest with a hole in it (pages written back, or not).
            var kept = Array(bytes.prefix(synced + (bytes.count - synced) / 2))
            if kept.count - synced > 100 { for i in (synced + 20)..<(synced + 70) { kept[i] = 0 } }
            writeBytes(copy + "/" + name, kept)
        }
        let journal = try Journal.open(directory: copy, options: options)
        let recovery = journal.recovery
        try journal.closeNow()
        var read: [JournalRecord] = []
        let scan = try JournalReader.scan(directory: copy) { read.append($0) }
        #expect(scan.problem == nil)
        return (recovery, read)
    }

    @Test func acknowledgedBatchesTheSegmentLostComeBackFromTheTail() async throws {
        let dir = TempDir("tail")
        let live = dir.sub("live")
        let syncs = SyncLog()
        var options = JournalOptions()
        options.dataSync = syncs.dataSync
        let journal = try Journal.open(directory: live, options: options)
        #expect(journal.recovery.tailRing)
        var acknowledged: [JournalRecord] = []
        for n in 0..<40 { acknowledged += try journal.appendNow([entry(2 * n), entry(2 * n + 1)]) }
        #expect(syncs.syncedSize(live + "/" + Segments.name(1)) == 0, "the segment itself was never synced")
        let (recovery, read) = try Self.loseUnsyncedAndReopen(live, into: dir.sub("copy"), syncs: syncs)
        #expect(recovery.tailFramesRewritten == 40)
        #expect(recovery.tailBytesRepaired > 0, "the cut-back segment was repaired")
        #expect(recovery.tornTail == nil)
        #expect(read == acknowledged)
        try await journal.close()
    }

    /// A frame torn by a crash while it was written was never acknowledged: the lap ends before it.
    @Test func aTornFrameEndsTheLapAndItsBatchIsNotBroughtBack() throws {
        let dir = TempDir("tail-torn")
        let live = dir.sub("live")
        let journal = try Journal.open(directory: live)
        var acknowledged: [JournalRecord] = []
        for n in 0..<10 { acknowledged += try journal.appendNow([entry(n)]) }
        let copy = dir.sub("copy")
        try copyDirectory(live, copy)
        unlink(copy + "/.lock")
        let ringPath = copy + "/" + TailRing.fileName
        var ring = readBytes(ringPath)
        let lap = TailRing.lap(in: ring)
        #expect(lap.count == 10)
        // Tear the last frame's payload, and lose the segment's copy of that last batch and a little before.
        let lastFrameStart = lap.dropLast().reduce(0) { $0 + TailRing.frameSize(payloadCount: $1.payload.count) }
        ring[lastFrameStart + TailRing.headerSize + 5] ^= 0xFF
        writeBytes(ringPath, ring)
        let segment = copy + "/" + Segments.name(1)
        writeBytes(segment, Array(readBytes(segment).prefix(lap[7].offset + 10)))
        let reopened = try Journal.open(directory: copy)
        #expect(reopened.recovery.tailFramesRewritten == 9)
        #expect(reopened.recovery.lastSeq == acknowledged[8].seq)
        try reopened.closeNow()
        var read: [JournalRecord] = []
        _ = try JournalReader.scan(directory: copy) { read.append($0) }
        #expect(read == Array(acknowledged.prefix(9)))
        try journal.closeNow()
    }

    /// A small tail wraps many times and segments roll over; a batch larger than the tail is synced in its
    /// segment. At every point between appends, losing what was not synced loses nothing acknowledged.
    @Test func lapsWrapSegmentsRollAndABatchTooLargeForTheTailIsSyncedInPlace() throws {
        let dir = TempDir("tail-wrap")
        let live = dir.sub("live")
        let syncs = SyncLog()
        var options = JournalOptions()
        options.dataSync = syncs.dataSync
        options.tailRingBytes = 16 << 10
        options.maxSegmentBytes = 40 << 10
        let journal = try Journal.open(directory: live, options: options)
        var acknowledged: [JournalRecord] = []
        var n = 0
        var checks = 0
        for round in 0..<120 {
            // Mostly small batches, now and then one of ~24 KB (larger than the tail).
            let size = round % 29 == 28 ? 80 : 1 + round % 4
            acknowledged += try journal.appendNow((0..<size).map { _ in n += 1; return entry(n) })
            if round % 13 == 12 {
                let (_, read) = try Self.loseUnsyncedAndReopen(live, into: dir.sub("copy"), syncs: syncs, options: options)
                #expect(read == acknowledged, "after round \(round)")
                checks += 1
            }
        }
        #expect(checks == 9)
        #expect(try Segments.list(live).count > 3, "segments rolled over")
        try journal.closeNow()
        // A clean close leaves nothing to write back.
        #expect(TailRing.lap(in: readBytes(live + "/" + TailRing.fileName)).isEmpty)
        let reopened = try Journal.open(directory: live, options: options)
        #expect(reopened.recovery.tailFramesRewritten == 0 && reopened.recovery.lastSeq == acknowledged.last!.seq)
        try reopened.closeNow()
    }

    @Test func withTheTailOffEachSegmentIsSyncedInPlace() throws {
        let dir = TempDir("tail-off")
        var options = JournalOptions()
        options.tailRingBytes = 0
        let journal = try Journal.open(directory: dir.path, options: options)
        #expect(!journal.recovery.tailRing)
        _ = try journal.appendNow([entry(1)])
        #expect(!FileManager.default.fileExists(atPath: dir.sub(TailRing.fileName)))
        try journal.closeNow()
    }
}
