import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon's blocking work runs: NIO's thread pool, a fixed set of threads started once, so that no
/// amount of requests makes threads without bound and nothing blocking ever holds one of the cooperative pool's
/// few threads (two on these machines).
///
/// Two pools: `run` for work someone waits on (a journal scan for a review page, an SMTP conversation, the
/// files a reporter handed in), `inBackground` for work nobody waits on that must not take a core from the desk
/// (a snapshot written, the snapshot checked against the journal at start; two threads, so that a save need not
/// wait for a check): its threads run at nice 19, which Linux keeps per thread and which an unprivileged thread
/// cannot take back, hence threads of their own.
enum BlockingWork {
    /// At most this many blocking jobs at once; more wait their turn.
    static let width = 8
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: width)
        pool.start()
        return pool
    }()
    private static let background: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    /// Runs `work` on the pool and returns its result.
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            pool.submit { _ in continuation.resume(returning: work()) }
        }
    }

    /// Runs `work` on a low-priority thread and returns its result.
    static func inBackground<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            background.submit { _ in
                yieldCoresToOthers()  // once per thread in effect: it stays at 19
                continuation.resume(returning: work())
            }
        }
    }

    /// Starts `work` on a low-priority thread; nobody waits for it.
    static func startInBackground(_ work: @escaping @Sendable () -> Void) {
        background.submit { _ in
            yieldCoresToOthers()
            work()
        }
    }
}

/// Makes the calling thread the last to get a core (nice 19, Linux's per-thread priority): background work
/// (writing or checking a snapshot of a hundred thousand incidents takes a second of CPU) must not delay the
/// desk, the journal writer or a deadline on a two-core machine.
func yieldCoresToOthers() {
    // On Linux the nice value belongs to the thread, and who 0 is the calling thread.
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
}
