import DequeModule
import Foundation

/// The thread the desk runs on: its actor's executor, and the executor a socket or spool thread's request
/// prefers, so that a report goes from the client's thread to this one and back (two thread wakes) instead of
/// through the cooperative pool and the journal's writer thread (four). A wake costs about 20 µs on these
/// machines (a semaphore ping-pong between two threads: 40 µs a round trip), and the wakes, not the deciding,
/// were most of a report's CPU (`perf`: 58% of the daemon's samples in the kernel's scheduler, 1 client).
///
/// Because the desk has a thread of its own, it may block it: it writes and syncs its batches itself
/// (`Journal.appendNow`), and requests for the desk wait in this queue meanwhile, to be decided in the next batch.
///
/// Written here because no package at hand has a thread that is both a `SerialExecutor` (for the actor) and a
/// `TaskExecutor` (for `Task(executorPreference:)`): swift-nio's event loops are only the first.
final class DeskThread: SerialExecutor, TaskExecutor, @unchecked Sendable {
    private let name: String
    // Guarded by `cond`.
    private let cond = NSCondition()
    private var jobs = Deque<UnownedJob>()
    private var running = false
    private var stopping = false

    init(name: String) {
        self.name = name
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        cond.lock()
        jobs.append(job)
        if !running {
            // The first job, or one after `stop`: the thread is started on demand, so a desk that is never used
            // (or one stopped at the end of a test) holds no thread.
            running = true
            stopping = false
            let thread = Thread { [self] in run() }
            thread.name = name
            thread.start()
        } else {
            cond.signal()
        }
        cond.unlock()
    }

    /// Lets the thread end once it has nothing left to run (the desk is gone).
    func stop() {
        cond.lock()
        stopping = true
        cond.signal()
        cond.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor { UnownedTaskExecutor(ordinary: self) }

    private func run() {
        let serial = asUnownedSerialExecutor(), task = asUnownedTaskExecutor()
        while true {
            cond.lock()
            while jobs.isEmpty && !stopping { cond.wait() }
            if jobs.isEmpty {
                running = false
                cond.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            cond.unlock()
            for job in batch { job.runSynchronously(isolatedTo: serial, taskExecutor: task) }
        }
    }
}
