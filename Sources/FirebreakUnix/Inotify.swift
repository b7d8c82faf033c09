#if canImport(Glibc)
import Glibc
#endif

/// One inotify instance watching one directory, read as batches of names: the spool's view of `new/`. The
/// system calls and the kernel's event layout live here, the spool's policy (what to take, when to rescan) with
/// the spool.
public final class Inotify: @unchecked Sendable {
    /// What one `read` gave: the names that appeared, and whether the kernel's queue overflowed (events were lost
    /// and the directory must be scanned).
    public struct Batch: Sendable {
        /// In the kernel's order: a name made in the directory (`created`: IN_CREATE) or one ready (renamed in,
        /// closed after writing).
        public var events: [(name: String, created: Bool)] = []
        public var overflowed = false
        public var names: [String] { events.map(\.name) }
    }

    public struct Mask: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Renamed into the directory.
        public static let movedTo = Mask(rawValue: UInt32(IN_MOVED_TO))
        /// Closed after being written.
        public static let closeWrite = Mask(rawValue: UInt32(IN_CLOSE_WRITE))
        /// Made in the directory (any kind, by any path, including those never opened for writing).
        public static let create = Mask(rawValue: UInt32(IN_CREATE))
    }

    /// The instance's descriptor, for an `epoll` to watch (it is readable when events are waiting).
    public let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Watches `directory` for `events`; throws the errno text when the kernel refuses (no inotify instances
    /// left, no such directory). Non-blocking: it is read when an `epoll` says it is readable.
    public init(watching directory: String, for events: Mask) throws(UnixError) {
        descriptor = inotify_init1(Int32(IN_CLOEXEC) | Int32(IN_NONBLOCK))
        guard descriptor >= 0 else { throw UnixError(errno: errno) }
        guard inotify_add_watch(descriptor, directory, events.rawValue) >= 0 else {
            let e = errno
            _ = Glibc.close(descriptor)
            throw UnixError(errno: e)
        }
    }

    /// The events waiting; nil when none is (or the instance is closed or unreadable).
    public func next() -> Batch? {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            var batch = Batch()
            var offset = 0
            while offset + 16 <= n {
                // struct inotify_event: wd (4), mask (4), cookie (4), len (4), then len bytes of NUL-padded name.
                let (mask, len, name) = buffer.withUnsafeBytes { raw -> (UInt32, Int, String) in
                    let base = raw.baseAddress! + offset
                    let mask = base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                    let len = Int(base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                    let nameBytes = UnsafeRawBufferPointer(start: base + 16, count: min(len, n - offset - 16))
                    return (mask, len, String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self))
                }
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { batch.overflowed = true }
                if !name.isEmpty { batch.events.append((name, mask & UInt32(IN_CREATE) != 0)) }
                offset += 16 + len
            }
            return batch
        }
    }

    /// Closes the instance; call it on the reader's thread, after its `epoll` stopped watching it.
    public func close() {
        _ = Glibc.close(descriptor)
    }
}

/// A system call's failure, as its errno and the C library's words for it.
public struct UnixError: Error, CustomStringConvertible, Sendable {
    public let errno: Int32
    public init(errno: Int32) { self.errno = errno }
    public var description: String { String(cString: strerror(errno)) }
}
