import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first thing wrong in a journal, found by reading it in order.
public struct JournalProblem: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The last line has no `\n`: a write that did not finish.
        case incompleteLine
        /// A line that is not a record whose hash holds.
        case badLine
        /// A record whose hash holds but whose seq or prev does not follow the one before it: history was
        /// changed, not torn.
        case brokenChain
    }

    public let kind: Kind
    public let location: JournalLocation
    public let reason: String
    /// Whether any line after the problem (in any segment) is a record whose hash holds. A bad line with
    /// good records after it is damage in the middle, never a torn tail.
    public let validRecordAfter: Bool
    public let inLastSegment: Bool
    /// Bytes from the problem to the end of its segment.
    public let bytesToEnd: Int

    /// A torn tail: what a crash mid-append leaves, and the only damage opening a journal repairs.
    public var isTornTail: Bool {
        kind != .brokenChain && !validRecordAfter && inLastSegment
    }

    public var description: String { "\(location): \(reason)" }
}

/// A place to start reading a journal other than its beginning: the seq and hash of a record whose state the
/// caller already holds (a snapshot's). The records before it are trusted, not checked; `firebreak journal
/// verify` and the daemon's check after start-up still read them.
public struct JournalResume: Sendable, Equatable {
    public let seq: UInt64
    public let hash: String

    public init(seq: UInt64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// The journal does not hold that record where the snapshot says: the snapshot is not used.
    public struct Mismatch: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }
}

/// What a read of the journal found.
public struct JournalScan: Sendable {
    public var lastSeq: UInt64 = 0
    public var lastHash: String = genesisHash
    public var recordCount = 0
    public var byteCount = 0
    public var segments: [Int] = []
    /// Size in bytes of the valid part of the last segment (where the next append goes).
    public var lastSegmentValidSize = 0
    public var problem: JournalProblem?
}

/// Reads journal segments in order, checking every line's hash, seq and prev as it goes.
public enum JournalReader {
    /// Calls `body` with each record whose seq is at least `from`, in order, and stops at the first problem
    /// (returned in the scan, not thrown: damage is a finding, not a failure to read).
    ///
    /// With `trustPrefix`, segments wholly before `from` are skipped without being checked; use it only on a
    /// journal already checked since it was opened (the daemon's replay after `Journal.open`).
    public static func scan(
        directory: String,
        from: UInt64 = 1,
        trustPrefix: Bool = false,
        body: (JournalRecord) throws -> Void = { _ in }
    ) throws -> JournalScan {
        try scanLines(directory: directory, from: from, trustPrefix: trustPrefix) { record, _ in try body(record) }
    }

    /// As `scan`, also handing over each record's line as it stands on disk (without its `\n`), for tools
    /// that print records verbatim.
    public static func scanLines(
        directory: String,
        from: UInt64 = 1,
        trustPrefix: Bool = false,
        resume: JournalResume? = nil,
        body: (JournalRecord, UnsafeRawBufferPointer) throws -> Void
    ) throws -> JournalScan {
        try scanChain(directory: directory, from: from, trustPrefix: trustPrefix, resume: resume, body: body)
    }

    /// As `scan`, reading each line only as far as the chain needs (`RecordLink`): what `firebreak journal
    /// verify` reads, with the same findings. `progress` is told the bytes read so far, `total` being the size
    /// of every segment, after each window of lines.
    public static func scanLinks(
        directory: String,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
        body: (RecordLink) throws -> Void
    ) throws -> JournalScan {
        try scanChain(directory: directory, progress: progress) { (link: RecordLink, _) in try body(link) }
    }

    /// The one reading loop, for whole records and for links.
    static func scanChain<Line: ChainLine>(
        directory: String,
        from: UInt64 = 1,
        trustPrefix: Bool = false,
        resume: JournalResume? = nil,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
        body: (Line, UnsafeRawBufferPointer) throws -> Void
    ) throws -> JournalScan {
        var scan = JournalScan()
        let segments = try Segments.list(directory)
        scan.segments = segments
        var startAt = 0
        var resumeAt: (offset: Int, lines: Int)?
        if let resume {
            // Start at the line of `resume.seq`, unchecked before it: that line must be the record whose hash the
            // caller holds, and everything after it is checked as usual.
            guard let found = try locate(resume, directory: directory, segments: segments) else {
                throw JournalResume.Mismatch(reason: "no segment holds seq \(resume.seq)")
            }
            startAt = found.position
            resumeAt = (found.offset, found.lines)
            scan.lastSeq = resume.seq - 1
        } else if trustPrefix && from > 1 {
            // Find the last segment whose first record is at or before `from`.
            for (i, segment) in segments.enumerated() {
                guard let first = try firstRecord(directory: directory, segment: segment) else { continue }
                if first.seq <= from {
                    startAt = i
                    scan.lastSeq = first.seq - 1
                    scan.lastHash = first.prev
                } else {
                    break
                }
            }
        }
        let total = progress == nil ? 0 : try segments[startAt...].reduce(0) { $0 + (try FileIO.size(directory + "/" + Segments.name($1))) }
        for position in startAt..<segments.count {
            let segment = segments[position]
            let isLast = position == segments.count - 1
            let name = Segments.name(segment)
            let bytes = try FileIO.readAll(directory + "/" + name)
            scan.byteCount += bytes.count
            var stop = false
            try bytes.withUnsafeBytes { (buf: UnsafeRawBufferPointer) throws in
                // Split into lines first, then decode windows of lines on all cores (hashing and parsing are
                // independent per line) and walk each window in order for the chain, which is cheap.
                var starts: [Int] = []
                var ends: [Int] = []
                var offset = 0
                var lineBase = 0
                if position == startAt, let resumeAt {
                    offset = resumeAt.offset
                    lineBase = resumeAt.lines
                }
                var incompleteAt: Int?
                while offset < buf.count {
                    guard let nl = memchr(buf.baseAddress! + offset, 0x0A, buf.count - offset) else {
                        incompleteAt = offset
                        break
                    }
                    let end = UnsafeRawPointer(nl) - UnsafeRawPointer(buf.baseAddress!)
                    starts.append(offset)
                    ends.append(end)
                    offset = end + 1
                }
                var index = 0
                while index < starts.count {
                    let count = min(decodeWindow, starts.count - index)
                    let decoded: [Result<Line, RecordLine.Flaw>] = decodeLines(buf, starts: starts[index..<(index + count)], ends: ends[index..<(index + count)])
                    for k in 0..<count {
                        let lineStart = starts[index + k], lineEnd = ends[index + k]
                        let line = UnsafeRawBufferPointer(rebasing: buf[lineStart..<lineEnd])
                        let problem: (JournalProblem.Kind, String)?
                        switch decoded[k] {
                        case .failure(let flaw):
                            problem = (.badLine, flaw.description)
                        case .success(var record):
                            record.place = RecordPlace(segment: segment, offset: lineStart, length: lineEnd - lineStart)
                            if let resume, scan.recordCount == 0 {
                                guard record.seq == resume.seq, record.hash == resume.hash else {
                                    throw JournalResume.Mismatch(reason: "seq \(record.seq) has hash \(record.hash.prefix(16))…, the snapshot says seq \(resume.seq) \(resume.hash.prefix(16))…")
                                }
                                scan.lastHash = record.prev  // the chain before the snapshot's record is trusted
                            }
                            if record.seq != scan.lastSeq + 1 {
                                problem = (.brokenChain, "seq is \(record.seq), expected \(scan.lastSeq + 1)")
                            } else if record.prev != scan.lastHash {
                                problem = (.brokenChain, "prev does not match the hash of seq \(scan.lastSeq)")
                            } else {
                                problem = nil
                                scan.lastSeq = record.seq
                                scan.lastHash = record.hash
                                scan.recordCount += 1
                                if record.seq >= from { try body(record, line) }
                            }
                        }
                        if let (kind, reason) = problem {
                            if let resume, scan.recordCount == 0 {
                                throw JournalResume.Mismatch(reason: "the line where seq \(resume.seq) should be is not a record: \(reason)")
                            }
                            let location = JournalLocation(segment: name, line: lineBase + index + k + 1, offset: lineStart, seq: scan.lastSeq + 1)
                            let after = try validLineExists(buf, from: lineEnd + 1)
                                || (try laterSegmentsHaveValidLine(directory: directory, segments: segments[(position + 1)...]))
                            scan.problem = JournalProblem(
                                kind: kind, location: location, reason: reason,
                                validRecordAfter: after, inLastSegment: isLast, bytesToEnd: buf.count - lineStart)
                            stop = true
                            return
                        }
                    }
                    index += count
                    progress?(scan.byteCount - buf.count + ends[index - 1] + 1, total)
                }
                if let incompleteAt {
                    let remaining = buf.count - incompleteAt
                    let location = JournalLocation(segment: name, line: lineBase + starts.count + 1, offset: incompleteAt, seq: scan.lastSeq + 1)
                    let after = try laterSegmentsHaveValidLine(directory: directory, segments: segments[(position + 1)...])
                    scan.problem = JournalProblem(
                        kind: .incompleteLine, location: location,
                        reason: "the last line of the segment is incomplete (\(remaining) bytes without a newline)",
                        validRecordAfter: after, inLastSegment: isLast, bytesToEnd: remaining)
                    stop = true
                }
            }
            if isLast { scan.lastSegmentValidSize = scan.problem.map { $0.location.offset } ?? bytes.count }
            if stop { break }
        }
        return scan
    }

    /// Where the line of `resume.seq` starts: the segment (its position in `segments`), the byte offset and the
    /// number of lines before it. Reads only each line's leading `{"seq":N,` (the writer always puts seq first),
    /// so finding the place costs a pass of memchr, not a hash per line.
    static func locate(_ resume: JournalResume, directory: String, segments: [Int]) throws -> (position: Int, offset: Int, lines: Int)? {
        var position: Int?
        for (i, segment) in segments.enumerated() {
            guard let first = try firstRecord(directory: directory, segment: segment) else { continue }
            if first.seq <= resume.seq { position = i } else { break }
        }
        guard let position else { return nil }
        let bytes = try FileIO.readAll(directory + "/" + Segments.name(segments[position]))
        let prefix = Array(#"{"seq":"#.utf8) + Array(String(resume.seq).utf8) + [UInt8(ascii: ",")]
        return bytes.withUnsafeBytes { buf -> (Int, Int, Int)? in
            var offset = 0
            var lines = 0
            while offset < buf.count {
                if buf.count - offset >= prefix.count, memcmp(buf.baseAddress! + offset, prefix, prefix.count) == 0 {
                    return (position, offset, lines)
                }
                guard let nl = memchr(buf.baseAddress! + offset, 0x0A, buf.count - offset) else { return nil }
                offset = UnsafeRawPointer(nl) - UnsafeRawPointer(buf.baseAddress!) + 1
                lines += 1
            }
            return nil
        }
    }

    /// Lines decoded per window: enough to keep both cores busy, few enough to bound memory.
    static let decodeWindow = 4096

    /// Decodes lines on all cores. Each worker writes only its own slots of the result.
    ///
    /// `concurrentPerform` is the code's one data-parallel loop, and stays: the open is synchronous (it runs
    /// before the daemon has an executor, and in tools that have none), the loop is CPU only, and Dispatch runs it
    /// on its own workers, as wide as the cores, making no thread. NIO's pool would need a wait on the caller's
    /// thread for each window, which is what the rest of the code no longer does.
    static func decodeLines<Line: ChainLine>(_ buf: UnsafeRawBufferPointer, starts: ArraySlice<Int>, ends: ArraySlice<Int>) -> [Result<Line, RecordLine.Flaw>] {
        let count = starts.count
        let base = starts.startIndex
        let workers = count < 64 ? 1 : max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        var results = [Result<Line, RecordLine.Flaw>](repeating: .failure(.noHashMember), count: count)
        results.withUnsafeMutableBufferPointer { out in
            let slots = SendableSlots(out)
            let input = UncheckedBuffer(buf)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var i = worker
                while i < count {
                    let line = UnsafeRawBufferPointer(rebasing: input.base[starts[base + i]..<ends[base + i]])
                    slots.base[i] = Line.read(line)
                    i += workers
                }
            }
        }
        return results
    }

    /// The first record of a segment, or nil when it is empty or its first line is not a valid record.
    static func firstRecord(directory: String, segment: Int) throws -> JournalRecord? {
        let path = directory + "/" + Segments.name(segment)
        let fd = try FileIO.openFile(path, flags: O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
            if buffer[0..<filled].contains(0x0A) { break }
        }
        guard let nl = buffer[0..<filled].firstIndex(of: 0x0A) else { return nil }
        return buffer.withUnsafeBytes { buf in
            try? RecordLine.decode(UnsafeRawBufferPointer(rebasing: buf[0..<nl])).get()
        }
    }

    private static func validLineExists(_ buf: UnsafeRawBufferPointer, from start: Int) throws -> Bool {
        var offset = start
        while offset < buf.count {
            guard let nl = memchr(buf.baseAddress! + offset, 0x0A, buf.count - offset) else { return false }
            let end = UnsafeRawPointer(nl) - UnsafeRawPointer(buf.baseAddress!)
            if case .success = RecordLine.decode(UnsafeRawBufferPointer(rebasing: buf[offset..<end])) { return true }
            offset = end + 1
        }
        return false
    }

    private static func laterSegmentsHaveValidLine(directory: String, segments: ArraySlice<Int>) throws -> Bool {
        for segment in segments {
            let bytes = try FileIO.readAll(directory + "/" + Segments.name(segment))
            if try bytes.withUnsafeBytes({ try validLineExists($0, from: 0) }) { return true }
        }
        return false
    }
}

/// A line as a reader reads it: the whole record, or only its link in the chain (verify).
protocol ChainLine: Sendable {
    var seq: UInt64 { get }
    var prev: String { get }
    var hash: String { get }
    var place: RecordPlace? { get set }
    static func read(_ line: UnsafeRawBufferPointer) -> Result<Self, RecordLine.Flaw>
}

extension JournalRecord: ChainLine {
    static func read(_ line: UnsafeRawBufferPointer) -> Result<JournalRecord, RecordLine.Flaw> { RecordLine.decode(line) }
}

extension RecordLink: ChainLine {
    static func read(_ line: UnsafeRawBufferPointer) -> Result<RecordLink, RecordLine.Flaw> { RecordLine.link(line) }
}

/// Result slots shared by the decode workers; each writes disjoint indexes, so no two touch the same slot.
private struct SendableSlots<Line: ChainLine>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<Result<Line, RecordLine.Flaw>>
    init(_ base: UnsafeMutableBufferPointer<Result<Line, RecordLine.Flaw>>) { self.base = base }
}

/// The segment's bytes, read (never written) by the decode workers while the caller keeps them alive.
private struct UncheckedBuffer: @unchecked Sendable {
    let base: UnsafeRawBufferPointer
    init(_ base: UnsafeRawBufferPointer) { self.base = base }
}
