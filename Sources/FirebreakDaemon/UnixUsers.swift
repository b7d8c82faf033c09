#if canImport(Glibc)
import Glibc
#endif

/// The user name of a uid (the socket peer, a spool file's owner), or `uid-N` when it has none.
func userName(_ uid: uid_t) -> String {
    var pwd = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 4096)
    getpwuid_r(uid, &pwd, &buffer, buffer.count, &result)
    return result.flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "uid-\(uid)"
}
