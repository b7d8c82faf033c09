import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport

/// Opening a journal cuts off a torn tail (and keeps it), and refuses damage in the middle.
@Suite struct RecoveryTests {
    @Test func cuttingAtEveryByteOfTheLastRecordsYieldsAValidPrefixAndKeepsTheRest() throws {
        let dir = TempDir()
        let master = dir.sub("master")
        let records = try writeJournal(master, count: 12)
        let segment = Segments.name(1)
        let bytes = readBytes(master + "/" + segment)
        let lines = lineRanges(bytes)
        #expect(lines.count == 12)
        let from = lines[lines.count - 3].lowerBound
        var cases = 0
        for cut in from..<bytes.count {
            let copy = dir.sub("cut")
            try copyDirectory(master, copy)
            try? FileManager.default.removeItem(atPath: copy + "/.lock")
            writeBytes(copy + "/" + segment, Array(bytes[0..<cut]))
            let whole = lines.filter { $0.upperBound <= cut }.count
            let journal = try Journal.open(directory: copy)
            let recovery = journal.recovery
            #expect(recovery.lastSeq == UInt64(whole), "cut at \(cut)")
            #expect(recovery.lastHash == records[whole - 1].hash)
            let keep = lines[whole - 1].upperBound
            if cut == keep {
                #expect(recovery.tornTail == nil, "cut at a line boundary \(cut)")
            } else {
                let torn = try #require(recovery.tornTail, "cut at \(cut)")
                #expect(torn.location.seq == UInt64(whole + 1) && torn.location.offset == keep && torn.bytes == cut - keep)
                #expect(readBytes(torn.movedTo) == Array(bytes[keep..<cut]), "the cut-off bytes are kept")
            }
            #expect(readBytes(copy + "/" + segment) == Array(bytes[0..<keep]))
            // The journal goes on from the valid prefix.
            let next = try journal.appendNow([entry(100)])[0]
            try journal.closeNow()
            #expect(next.seq == UInt64(whole + 1) && next.prev == records[whole - 1].hash)
            #expect(try JournalVerifier.verify(directory: copy).intact)
            cases += 1
        }
        #expect(cases > 100)
    }

    @Test func garbageAfterTheLastRecordIsATornTail() throws {
        let dir = TempDir()
        try writeJournal(dir.path, count: 5)
        let path = dir.sub(Segments.name(1))
        let good = readBytes(path)
        // Zeros as a crashed filesystem may leave, then a half line with a newline in it.
        writeBytes(path, good + [UInt8](repeating: 0, count: 300) + Array("{\"seq\":6,\n{\"se".utf8))
        let journal = try Journal.open(directory: dir.path)
        #expect(journal.recovery.lastSeq == 5)
        #expect(journal.recovery.tornTail?.bytes == 300 + 14)
        try journal.closeNow()
        #expect(readBytes(path) == good)
        let report = try JournalVerifier.verify(directory: dir.path)
        #expect(report.intact && report.tornTailFiles.count == 1 && report.tornTailFiles[0].hasPrefix("00000001.jsonl.torn-"))
    }

    @Test func aLastRecordFailingItsHashIsATornTail() throws {
        let dir = TempDir()
        try writeJournal(dir.path, count: 5)
        let path = dir.sub(Segments.name(1))
        var bytes = readBytes(path)
        let last = lineRanges(bytes).last!
        bytes[last.lowerBound + 20] ^= 0x01
        writeBytes(path, bytes)
        let journal = try Journal.open(directory: dir.path)
        #expect(journal.recovery.lastSeq == 4)
        #expect(journal.recovery.tornTail?.reason.contains("hash mismatch") == true)
        try journal.closeNow()
    }

    @Test func aBadRecordWithGoodOnesAfterItRefusesToOpenNamingThePlace() throws {
        let dir = TempDir()
        try writeJournal(dir.path, count: 10)
        let path = dir.sub(Segments.name(1))
        var bytes = readBytes(path)
        let line7 = lineRanges(bytes)[6]
        bytes[line7.lowerBound + 30] ^= 0x04
        writeBytes(path, bytes)
        #expect {
            try Journal.open(directory: dir.path)
        } throws: { error in
            guard let e = error as? JournalError, e.code == .damaged, let l = e.location else { return false }
            return l.segment == "00000001.jsonl" && l.line == 7 && l.seq == 7 && l.offset == line7.lowerBound
                && e.message.contains("hash mismatch")
        }
        // Nothing was changed by the refusal.
        #expect(readBytes(path) == bytes)
    }

    @Test func aRemovedRecordIsAGapNotATornTail() throws {
        let dir = TempDir()
        try writeJournal(dir.path, count: 6)
        let path = dir.sub(Segments.name(1))
        let bytes = readBytes(path)
        let lines = lineRanges(bytes)
        // Drop the last line but one: the last record's hash holds, but its seq and prev do not follow.
        writeBytes(path, Array(bytes[0..<lines[4].lowerBound]) + Array(bytes[lines[5]]))
        #expect {
            try Journal.open(directory: dir.path)
        } throws: { error in
            guard let e = error as? JournalError, e.code == .damaged, let l = e.location else { return false }
            return l.seq == 5 && l.line == 5 && e.message.contains("seq is 6, expected 5")
        }
    }

    @Test func aRewrittenRecordWithAValidHashBreaksThePrevChain() throws {
        let dir = TempDir()
        let records = try writeJournal(dir.path, count: 4)
        let path = dir.sub(Segments.name(1))
        let bytes = readBytes(path)
        let lines = lineRanges(bytes)
        // Someone rewrites seq 3 with a self-consistent hash; seq 4's prev no longer matches it.
        let forged = try RecordLine.encode(entry(999), seq: 3, prev: records[1].hash).line
        writeBytes(path, Array(bytes[0..<lines[2].lowerBound]) + forged + Array(bytes[lines[3]]))
        #expect {
            try Journal.open(directory: dir.path)
        } throws: { error in
            guard let e = error as? JournalError, let l = e.location else { return false }
            return e.code == .damaged && l.seq == 4 && e.message.contains("prev does not match")
        }
    }

    @Test func damageInAnEarlierSegmentRefusesEvenIfLaterOnesAreFine() throws {
        let dir = TempDir()
        var options = JournalOptions()
        options.maxSegmentBytes = 1_200
        let journal = try Journal.open(directory: dir.path, options: options)
        for n in 1...30 { _ = try journal.appendNow([entry(n)]) }
        try journal.closeNow()
        #expect(try Segments.list(dir.path).count > 3)
        let first = dir.sub(Segments.name(1))
        var bytes = readBytes(first)
        bytes.removeLast(10)  // a "torn" end, but in a segment that is not the last
        writeBytes(first, bytes)
        #expect { try Journal.open(directory: dir.path) } throws: { ($0 as? JournalError)?.code == .damaged }
    }

    @Test func bitFlipsAnywhereAreNamedByTheSeqOfTheRecordHoldingThem() throws {
        let dir = TempDir()
        let master = dir.sub("master")
        var options = JournalOptions()
        options.maxSegmentBytes = 3_000
        try writeJournal(master, count: 40, options: options)
        // Map every byte of every segment to the seq of the record that holds it.
        var owners: [(segment: String, bytes: [UInt8], seqOf: [UInt64])] = []
        var seq: UInt64 = 0
        for s in try Segments.list(master) {
            let bytes = readBytes(master + "/" + Segments.name(s))
            var seqOf = [UInt64](repeating: 0, count: bytes.count)
            for range in lineRanges(bytes) {
                seq += 1
                for i in range { seqOf[i] = seq }
            }
            owners.append((Segments.name(s), bytes, seqOf))
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let o = owners.randomElement(using: &rng)!
            let at = Int.random(in: 0..<o.bytes.count, using: &rng)
            let bit = UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            let copy = dir.sub("flip")
            try copyDirectory(master, copy)
            var damaged = o.bytes
            damaged[at] ^= bit
            writeBytes(copy + "/" + o.segment, damaged)
            let report = try JournalVerifier.verify(directory: copy)
            #expect(!report.intact)
            #expect(report.problem?.location?.seq == o.seqOf[at],
                    "flip of bit \(bit) at byte \(at) of \(o.segment): \(report.problem?.description ?? "none")")
        }
    }
}
