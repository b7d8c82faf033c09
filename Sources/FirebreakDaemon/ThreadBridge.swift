import Foundation
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's socket and spool threads block in system calls of their own (accept, read, inotify) and reach
/// the async desk through this: run the work as a task, wait for it on this thread. Never call it from the
/// cooperative pool. `preferring`: where the work's own code runs (the desk's thread, for requests that are
/// mostly the desk's: no hop through the pool on the way there or back).
func awaitOnThisThread<T: Sendable>(preferring executor: (any TaskExecutor)? = nil, _ work: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task(executorPreference: executor) {
        box.value = await work()
        done.signal()
    }
    done.wait()
    return box.value!
}

/// Makes the calling thread the last to get a core (nice 19, Linux's per-thread priority): background work
/// (writing or checking a snapshot of a hundred thousand incidents takes a second of CPU) must not delay the
/// desk, the journal writer or a deadline on a two-core machine.
func yieldCoresToOthers() {
    // On Linux the nice value belongs to the thread, and who 0 is the calling thread.
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// The user name of a uid (the socket peer, a spool file's owner), or `uid-N` when it has none.
func userName(_ uid: uid_t) -> String {
    var pwd = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 4096)
    getpwuid_r(uid, &pwd, &buffer, buffer.count, &result)
    return result.flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "uid-\(uid)"
}

/// A part of the daemon that could not start (a socket, the spool), with a message naming what and why.
public struct StartupProblem: Error, CustomStringConvertible {
    public let description: String
}
