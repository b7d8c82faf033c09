#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The handful of system calls the journal makes, with errno turned into `JournalError`.
///
/// Kept to plain POSIX on purpose: the journal's guarantees are stated in terms of `write`, `fdatasync`,
/// `rename` and directory `fsync`, and reading those calls here is how a reviewer checks them.
enum FileIO {
    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code)) + " (errno \(code))"
    }

    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o640) throws(JournalError) -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw JournalError(.io, "cannot open \(path): \(errnoText())")
        }
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(JournalError) {
        let failedErrno: Int32 = bytes.withUnsafeBytes { buf in
            var done = 0
            while done < buf.count {
                let n = write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
        if failedErrno != 0 { throw JournalError(.io, "cannot write to \(path): \(errnoText(failedErrno))") }
    }

    /// `pwrite` of all of `bytes` at `offset` (the tail ring's write-back, which rewrites in place).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(JournalError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError(.io, "cannot write to \(path): \(errnoText())")
            }
            done += n
        }
    }

    static func closeFD(_ fd: Int32) {
        _ = close(fd)
    }

    static func readAll(_ path: String) throws(JournalError) -> [UInt8] {
        let fd = try openFile(path, flags: O_RDONLY)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw JournalError(.io, "cannot stat \(path): \(errnoText())") }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while true {
            if filled == out.count { out.append(contentsOf: [UInt8](repeating: 0, count: max(4096, out.count / 2))) }
            let n = out.withUnsafeMutableBytes { buf in read(fd, buf.baseAddress! + filled, buf.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError(.io, "cannot read \(path): \(errnoText())")
            }
            if n == 0 { break }
            filled += n
        }
        out.removeLast(out.count - filled)
        return out
    }

    /// Makes a directory entry (a new segment, a rename) durable.
    static func syncDirectory(_ path: String) throws(JournalError) {
        let fd = try openFile(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw JournalError(.syncFailed, "cannot fsync directory \(path): \(errnoText())") }
    }

    static func makeDirectories(_ path: String) throws(JournalError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw JournalError(.io, "\(path) exists and is not a directory") }
            return
        }
        let parent = parentDirectory(path)
        if parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o750) != 0 && errno != EEXIST {
            throw JournalError(.io, "cannot create directory \(path): \(errnoText())")
        }
        try syncDirectory(parent)
    }

    static func parentDirectory(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        if slash == p.startIndex { return "/" }
        return String(p[..<slash])
    }

    static func size(_ path: String) throws(JournalError) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw JournalError(.io, "cannot stat \(path): \(errnoText())") }
        return Int(st.st_size)
    }

    static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func listDirectory(_ path: String) throws(JournalError) -> [String] {
        guard let dir = opendir(path) else { throw JournalError(.io, "cannot read directory \(path): \(errnoText())") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { ptr in
                ptr.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// The data-sync call, replaceable so tests can hand the writer a file handle whose sync fails.
public struct DataSync: Sendable {
    let call: @Sendable (Int32) -> Int32

    /// `call` returns 0 on success or an errno value.
    public init(_ call: @escaping @Sendable (Int32) -> Int32) { self.call = call }

    public static let system = DataSync { fd in
        while true {
            if fdatasync(fd) == 0 { return 0 }
            if errno != EINTR { return errno }
        }
    }
}
