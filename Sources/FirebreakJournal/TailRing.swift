#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import FirebreakCore

/// The redo tail: a preallocated file beside the segments (`tail.ring`, not part of the journal's format) where
/// each batch is written a second time and synced, instead of syncing the segment it was appended to.
///
/// Why: on ext4 an `fdatasync` after an append must also write the inode, whose size changed; overwriting
/// blocks that already exist needs only the data written (the figures: docs/benchmarks.md). PostgreSQL's
/// write-ahead log is preallocated for the same reason. The segments keep the format every reader relies on (no
/// padding, no zeros at the end).
///
/// The ring holds one lap at a time: frames written one after another from its start, each carrying the segment
/// and offset its bytes were appended at. Before a lap starts again from the beginning (the ring is full, or a
/// new segment begins) the segment is synced, so every acknowledged record is always either durable in its
/// segment or in the current lap. On open, before anything is read, the lap is written back into the segment
/// (the same bytes at the same offsets: a no-op after a process crash, a repair after a power loss took the
/// segment's unsynced pages), the segment is synced and the ring emptied. A clean close syncs the segment and
/// empties the ring too.
///
/// Frame: `FBT1`, lap id (8), payload length (4), segment index (4), segment offset (8), SHA-256 of those and the
/// payload (32), then the payload, zero-padded to a multiple of 4 KiB. Frames are written with `O_DIRECT` where
/// the file system allows it: an aligned block goes straight to the disk and the `fdatasync` after it has only
/// the device's cache to flush. A frame belongs to the lap when its lap id is the first frame's, its hash
/// is right and it continues the previous frame in the same segment; anything else ends the lap (a torn frame
/// was never acknowledged).
final class TailRing {
    static let fileName = "tail.ring"
    static let headerSize = 60
    /// Frames start and end on this boundary (the page and block size here), as `O_DIRECT` requires.
    static let alignment = 4096
    /// Linux's O_DIRECT, which Glibc's module leaves out (it needs _GNU_SOURCE); its value depends on the machine.
    #if arch(arm64) || arch(arm)
    private static let openDirect: Int32 = 0o200000
    #else
    private static let openDirect: Int32 = 0o40000
    #endif
    private static let magic: [UInt8] = Array("FBT1".utf8)

    let path: String
    private(set) var fd: Int32
    /// Whether `fd` writes past the page cache; false where the file system refuses `O_DIRECT` (tmpfs).
    private(set) var direct: Bool
    let capacity: Int
    /// An aligned buffer for the frame being written, grown as needed.
    private var buffer: UnsafeMutableRawPointer?
    private var bufferSize = 0
    /// Where the next frame goes; 0 when there is no lap.
    private(set) var position = 0
    private var lap: UInt64 = 0
    /// The segment the current lap is of, and where its next bytes go.
    private(set) var lapSegment: Int?
    private var lapNextOffset = 0

    private init(path: String, fd: Int32, direct: Bool, capacity: Int) {
        self.path = path
        self.fd = fd
        self.direct = direct
        self.capacity = capacity
    }

    deinit {
        FileIO.closeFD(fd)
        free(buffer)
    }

    /// The bytes a frame for `count` payload bytes takes in the ring.
    static func frameSize(payloadCount count: Int) -> Int {
        (headerSize + count + alignment - 1) / alignment * alignment
    }

    /// A frame as read back.
    struct Frame: Equatable {
        let segment: Int
        let offset: Int
        let payload: [UInt8]
    }

    // MARK: Opening: write the lap back, then start empty

    /// What opening found in the ring and wrote back.
    struct Redo {
        var frames = 0
        /// Bytes that differed from what the segment held (0 after a process crash: the page cache kept them).
        var repairedBytes = 0
    }

    /// Writes the lap left by the last run back into its segment, syncs it, and empties the ring. Called with the
    /// journal's lock held, before the segments are read. A missing ring is nothing to redo.
    static func redo(directory: String) throws(JournalError) -> Redo {
        let path = directory + "/" + fileName
        guard FileIO.fileExists(path), startsWithFrame(path) else { return Redo() }
        let bytes = try FileIO.readAll(path)
        let frames = lap(in: bytes)
        var redo = Redo()
        guard let first = frames.first else { return redo }
        let segmentPath = directory + "/" + Segments.name(first.segment)
        guard FileIO.fileExists(segmentPath) else {
            throw JournalError(.damaged, """
                \(path) holds acknowledged records for segment \(Segments.name(first.segment)), which is missing; \
                restore it from a backup (the ring is left as it is)
                """)
        }
        let segFD = try FileIO.openFile(segmentPath, flags: O_RDWR)
        defer { FileIO.closeFD(segFD) }
        for frame in frames {
            var held = [UInt8](repeating: 0, count: frame.payload.count)
            let got = held.withUnsafeMutableBytes { pread(segFD, $0.baseAddress, $0.count, off_t(frame.offset)) }
            if got != frame.payload.count || held != frame.payload {
                redo.repairedBytes += frame.payload.count
                try FileIO.writeAll(segFD, frame.payload, at: frame.offset, path: segmentPath)
            }
            redo.frames += 1
        }
        guard fsync(segFD) == 0 else { throw JournalError(.syncFailed, "cannot fsync \(segmentPath): \(FileIO.errnoText())") }
        // The lap is in the segment now: forget it, so that the next run does not write it back again.
        let ringFD = try FileIO.openFile(path, flags: O_RDWR)
        defer { FileIO.closeFD(ringFD) }
        try FileIO.writeAll(ringFD, [UInt8](repeating: 0, count: headerSize), at: 0, path: path)
        guard fsync(ringFD) == 0 else { throw JournalError(.syncFailed, "cannot fsync \(path): \(FileIO.errnoText())") }
        return redo
    }

    /// Whether a frame starts the file: after a clean stop it does not, and the start reads 4 bytes, not 4 MiB.
    private static func startsWithFrame(_ path: String) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }  // let the full read report why it cannot be read
        defer { FileIO.closeFD(fd) }
        var head = [UInt8](repeating: 0, count: magic.count)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n != magic.count || head == magic
    }

    /// The ring, zero-filled to `capacity` the first time (so that later writes overwrite blocks that exist), or
    /// nil when there is no room for it: the journal then syncs each segment in place, as it would without one.
    static func open(directory: String, capacity: Int) throws(JournalError) -> TailRing? {
        let path = directory + "/" + fileName
        let fd = try FileIO.openFile(path, flags: O_RDWR | O_CREAT)
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            FileIO.closeFD(fd)
            throw JournalError(.io, "cannot stat \(path): \(FileIO.errnoText())")
        }
        if Int(st.st_size) != capacity {
            let zeros = [UInt8](repeating: 0, count: 1 << 16)
            var failed: Int32 = 0
            if ftruncate(fd, 0) != 0 { failed = errno }
            var written = 0
            while failed == 0 && written < capacity {
                let n = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, min($0.count, capacity - written), off_t(written)) }
                if n < 0 { if errno != EINTR { failed = errno } } else { written += n }
            }
            if failed == 0 && fsync(fd) != 0 { failed = errno }
            if failed != 0 {
                FileIO.closeFD(fd)
                unlink(path)
                if failed == ENOSPC || failed == EDQUOT { return nil }
                throw JournalError(.io, "cannot preallocate \(path): \(FileIO.errnoText(failed))")
            }
            try FileIO.syncDirectory(directory)
        }
        // Written from now on past the page cache, where the file system allows it.
        let directFD = Glibc.open(path, O_RDWR | O_CLOEXEC | Self.openDirect)
        if directFD >= 0 {
            FileIO.closeFD(fd)
            return TailRing(path: path, fd: directFD, direct: true, capacity: capacity)
        }
        return TailRing(path: path, fd: fd, direct: false, capacity: capacity)
    }

    // MARK: Writing

    /// Whether a batch of `count` bytes can go through the ring at all.
    func fits(_ count: Int) -> Bool { Self.frameSize(payloadCount: count) <= capacity }

    /// Whether the batch must start a new lap (after the segment is synced): the ring is full, or the batch goes
    /// to another segment, or to an offset the lap did not end at (the segment was cut back after a failed write).
    func needsNewLap(segment: Int, offset: Int, count: Int) -> Bool {
        lapSegment != segment || lapNextOffset != offset || position + Self.frameSize(payloadCount: count) > capacity
    }

    /// Starts a lap from the ring's beginning. The caller has synced everything the old lap held.
    func startLap(segment: Int, offset: Int) {
        position = 0
        lap = UInt64.random(in: 1...UInt64.max)
        lapSegment = segment
        lapNextOffset = offset
    }

    /// Writes a frame for `payload`, appended to `segment` at `offset`; the caller syncs `fd`. Returns where it
    /// went, for `unwrite`.
    func write(segment: Int, offset: Int, payload: [UInt8]) throws(JournalError) -> Int {
        var header: [UInt8] = []
        header.reserveCapacity(Self.headerSize)
        header += Self.magic
        Self.put(lap, 8, into: &header)
        Self.put(UInt64(payload.count), 4, into: &header)
        Self.put(UInt64(segment), 4, into: &header)
        Self.put(UInt64(offset), 8, into: &header)
        header += Self.digest(header[4...], payload)
        let size = Self.frameSize(payloadCount: payload.count)
        let frame = alignedBuffer(size)
        header.withUnsafeBytes { frame.copyMemory(from: $0.baseAddress!, byteCount: Self.headerSize) }
        payload.withUnsafeBytes { frame.advanced(by: Self.headerSize).copyMemory(from: $0.baseAddress!, byteCount: payload.count) }
        let padding = size - Self.headerSize - payload.count
        frame.advanced(by: Self.headerSize + payload.count).initializeMemory(as: UInt8.self, repeating: 0, count: padding)
        let at = position
        try writeBlock(frame, size, at: at)
        position += size
        lapNextOffset = offset + payload.count
        return at
    }

    /// Spoils the frame at `at` (best effort, unsynced): its batch was not acknowledged, and must not come back.
    func unwrite(at: Int) {
        try? zeroBlock(at: at)
        position = at
    }

    /// Empties the ring: the caller has synced the segment. The zeroed first frame ends every lap.
    func clear(sync: DataSync) throws(JournalError) {
        try zeroBlock(at: 0)
        let e = sync.call(fd)
        guard e == 0 else { throw JournalError(.syncFailed, "fdatasync of \(path) failed: \(FileIO.errnoText(e))") }
        position = 0
        lapSegment = nil
    }

    var hasLap: Bool { lapSegment != nil }

    private func alignedBuffer(_ size: Int) -> UnsafeMutableRawPointer {
        if size > bufferSize {
            free(buffer)
            var p: UnsafeMutableRawPointer?
            precondition(posix_memalign(&p, Self.alignment, size) == 0, "out of memory for a \(size)-byte tail frame")
            buffer = p
            bufferSize = size
        }
        return buffer!
    }

    /// Zeroes the block at `offset`, so that no frame starts there.
    private func zeroBlock(at offset: Int) throws(JournalError) {
        let zeros = alignedBuffer(Self.alignment)
        zeros.initializeMemory(as: UInt8.self, repeating: 0, count: Self.alignment)
        try writeBlock(zeros, Self.alignment, at: offset)
    }

    /// Writes `size` bytes at `offset`; a file system that accepted `O_DIRECT` at open but refuses the write
    /// (EINVAL) gets a buffered descriptor instead, for good.
    private func writeBlock(_ bytes: UnsafeMutableRawPointer, _ size: Int, at offset: Int) throws(JournalError) {
        var done = 0
        while done < size {
            let n = pwrite(fd, bytes + done, size - done, off_t(offset + done))
            if n >= 0 { done += n; continue }
            if errno == EINTR { continue }
            if errno == EINVAL && direct {
                let buffered = Glibc.open(path, O_RDWR | O_CLOEXEC)
                if buffered >= 0 {
                    FileIO.closeFD(fd)
                    fd = buffered
                    direct = false
                    continue
                }
            }
            throw JournalError(.io, "cannot write to \(path): \(FileIO.errnoText())")
        }
    }

    // MARK: Reading

    /// The frames of the lap at the start of `bytes`, in order (pure, for recovery and the tests).
    static func lap(in bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var at = 0
        var lapID: UInt64?
        while at + headerSize <= bytes.count, Array(bytes[at..<at + 4]) == magic {
            let id = get(bytes, at + 4, 8)
            let length = Int(get(bytes, at + 12, 4)), segment = Int(get(bytes, at + 16, 4)), offset = Int(get(bytes, at + 20, 8))
            guard id != 0, id == lapID ?? id, length > 0, at + headerSize + length <= bytes.count else { break }
            let payload = Array(bytes[at + headerSize..<at + headerSize + length])
            guard digest(bytes[at + 4..<at + 28], payload) == Array(bytes[at + 28..<at + 60]) else { break }
            if let last = frames.last, last.segment != segment || last.offset + last.payload.count != offset { break }
            lapID = id
            frames.append(Frame(segment: segment, offset: offset, payload: payload))
            at += frameSize(payloadCount: length)
        }
        return frames
    }

    // MARK: Bytes

    private static func digest(_ header: ArraySlice<UInt8>, _ payload: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: Array(header))
        h.update(data: payload)
        return Array(h.finalize())
    }

    private static func put(_ value: UInt64, _ width: Int, into out: inout [UInt8]) {
        for i in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    private static func get(_ bytes: [UInt8], _ at: Int, _ width: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return v
    }
}
