import Crypto
import FirebreakCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Evidence files, content-addressed under the state directory (`evidence/sha256/ab/abcd…`): the same
/// screenshot handed in twice is kept once, and a stored file can be checked against its journal record by
/// hashing it. A file is copied from a descriptor (the reporter's own, passed over the socket, or one the spool
/// opened without following links), hashed while copied, synced and renamed into place before the report that
/// names it is journaled — durable before acknowledged, like the records.
public struct EvidenceStore: Sendable {
    public let root: String
    public let maxBytes: Int64
    /// Called when an fsync fails: the daemon stops rather than claim a file is kept that may not be.
    let onSyncFailure: @Sendable (String) -> Void

    public init(root: String, maxBytes: Int64, onSyncFailure: @escaping @Sendable (String) -> Void) throws {
        self.root = root
        self.maxBytes = maxBytes
        self.onSyncFailure = onSyncFailure
        for dir in [root, root + "/sha256", root + "/tmp"] where mkdir(dir, 0o750) != 0 && errno != EEXIST {
            throw DaemonError(.startup, "cannot create the evidence directory \(dir): \(String(cString: strerror(errno)))")
        }
        // Copies a crash interrupted were never named by a journal record.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? [] { unlink(root + "/tmp/" + name) }
    }

    /// Copies the regular file open at `fd` into the store.
    public func store(fd: Int32, name: String) throws(DaemonError) -> Evidence {
        if let why = Evidence.problem(withName: name) { throw DaemonError(.evidence, "the name \"\(name)\" \(why)") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw DaemonError(.evidence, "cannot be examined: \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw DaemonError(.evidence, "is not a regular file (\(Self.kind(st.st_mode)))") }
        guard Int64(st.st_size) <= maxBytes else { throw DaemonError(.evidence, "is \(st.st_size) bytes, over the \(maxBytes)-byte limit for evidence") }

        let tmp = root + "/tmp/" + UUID().uuidString
        let out = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard out >= 0 else { throw DaemonError(.evidence, "cannot be stored: \(String(cString: strerror(errno)))") }
        var keep = false
        defer {
            close(out)
            if !keep { unlink(tmp) }
        }
        var hasher = SHA256()
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw DaemonError(.evidence, "cannot be read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            offset += Int64(n)
            guard offset <= maxBytes else { throw DaemonError(.evidence, "grew past the \(maxBytes)-byte limit for evidence while being read") }
            let chunk = buffer[0..<n]
            hasher.update(data: chunk)
            if head.count < 512 { head += chunk.prefix(512 - head.count) }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(out, $0.baseAddress! + written, n - written) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { throw DaemonError(.evidence, "cannot be stored: \(String(cString: strerror(errno)))") }
                written += w
            }
        }
        guard fsync(out) == 0 else {
            onSyncFailure("fsync of evidence \(tmp) failed: \(String(cString: strerror(errno)))")
            throw DaemonError(.evidence, "could not be stored durably")
        }
        let sha = Hex.lowercase(hasher.finalize())
        let dir = root + "/sha256/" + sha.prefix(2)
        if mkdir(dir, 0o750) == 0 {
            try sync(root + "/sha256")
        } else if errno != EEXIST {
            throw DaemonError(.evidence, "cannot be stored: \(String(cString: strerror(errno)))")
        }
        let final = dir + "/" + sha
        if access(final, F_OK) != 0 {
            guard rename(tmp, final) == 0 else { throw DaemonError(.evidence, "cannot be stored: \(String(cString: strerror(errno)))") }
            keep = true
            try sync(dir)
        }
        return Evidence(name: name, sha256: sha, size: offset, type: Evidence.sniff(head))
    }

    /// The stored file, opened read-only, or -1.
    public func open(sha256: String) -> Int32 {
        guard Evidence.isDigest(sha256) else { return -1 }
        return Glibc.open(path(sha256), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    }

    public func path(_ sha256: String) -> String { root + "/sha256/" + sha256.prefix(2) + "/" + sha256 }

    private func sync(_ directory: String) throws(DaemonError) {
        let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, fsync(fd) == 0 else {
            onSyncFailure("fsync of \(directory) failed: \(String(cString: strerror(errno)))")
            if fd >= 0 { close(fd) }
            throw DaemonError(.evidence, "could not be stored durably")
        }
        close(fd)
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFLNK: return "a symbolic link"
        default: return "not a plain file"
        }
    }
}
