import CUnixSocket
#if canImport(Glibc)
import Glibc
#endif

/// Unix-domain sockets for the control socket, its clients and the tests: addresses, connecting, binding, and
/// lines sent and received with file descriptors attached. Written by hand: SO_PEERCRED and SCM_RIGHTS on a
/// stream socket are not exposed by SwiftNIO or swift-system, and these are a few plain system calls.
public enum UnixSocket {
    /// The address of `path`, or nil when the path does not fit in `sun_path` (108 bytes on Linux).
    public static func address(_ path: String) -> sockaddr_un? {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
            buf[bytes.count] = 0
        }
        return addr
    }

    /// `connect` or `bind` on `fd` with the address of `path`; 0 or -1 with errno set (ENAMETOOLONG for a path
    /// that does not fit).
    public static func connect(_ fd: Int32, to path: String) -> Int32 { withAddress(path) { Glibc.connect(fd, $0, $1) } }
    public static func bind(_ fd: Int32, to path: String) -> Int32 { withAddress(path) { Glibc.bind(fd, $0, $1) } }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        guard var addr = address(path) else {
            errno = ENAMETOOLONG
            return -1
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// A connected stream socket (close-on-exec), or -1 with errno set.
    public static func connected(to path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        if connect(fd, to: path) != 0 {
            let saved = errno
            close(fd)
            errno = saved
            return -1
        }
        return fd
    }

    /// The most descriptors sent or received with one message.
    public static let maxFDs = 16

    /// Sends all of `bytes`, with `fds` attached to the first byte. False when the peer went away.
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8], fds: [Int32] = []) -> Bool {
        var rest = bytes[...]
        var attach = fds
        while !rest.isEmpty {
            let n = send(fd, Array(rest), fds: attach)
            if n <= 0 { return false }
            rest = rest.dropFirst(n)
            attach = []
        }
        return true
    }

    /// One `sendmsg` of as much of `bytes` as fits, with `fds` attached to the first byte: the count sent, or
    /// -1 with errno set (EAGAIN on a full non-blocking socket), retried on EINTR.
    public static func send(_ fd: Int32, _ bytes: [UInt8], fds: [Int32] = []) -> Int {
        while true {
            let n = bytes.withUnsafeBytes { raw in
                fds.withUnsafeBufferPointer { f in fb_send_with_fds(fd, raw.baseAddress!, raw.count, f.baseAddress, Int32(f.count)) }
            }
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    public struct Received {
        /// Bytes read: 0 at the end of the stream, -1 on an error (errno).
        public var count: Int
        /// Descriptors that came with these bytes; the caller owns (and must close) them.
        public var fds: [Int32]
        /// More descriptors were sent than fit (the extra ones were closed).
        public var truncated: Bool
    }

    /// One `recvmsg` into `buffer` (whose size is the most read), retried on EINTR.
    public static func receive(_ fd: Int32, into buffer: inout [UInt8]) -> Received {
        var fds = [Int32](repeating: -1, count: maxFDs)
        var count: Int32 = 0, truncated: Int32 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                fds.withUnsafeMutableBufferPointer { f in
                    fb_recv_with_fds(fd, raw.baseAddress, raw.count, f.baseAddress, Int32(f.count), &count, &truncated)
                }
            }
            if n < 0 && errno == EINTR { continue }
            return Received(count: n, fds: Array(fds.prefix(Int(count))), truncated: truncated != 0)
        }
    }
}
