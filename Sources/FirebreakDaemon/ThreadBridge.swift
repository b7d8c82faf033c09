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

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
