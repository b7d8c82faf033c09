import DequeModule
import FirebreakUnix
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The thread the desk runs on: its actor's executor, the executor the spool's requests prefer, and the thread
/// that serves the control socket's clients. When it has no job it waits in `epoll_wait` for both new jobs and
/// ready sockets, so a report read from a client is decided, journaled, synced and answered on this one thread
/// with no other thread woken on the way; under load it finds many clients ready at once and decides them in
/// one batch. A thread wake costs about 20 µs on these machines (a semaphore ping-pong between two threads: 40 µs
/// a round trip), and with a thread per client the wakes were most of the daemon's CPU (`perf`, 16 clients:
/// 61% of its samples in the kernel, most in the scheduler).
///
/// Because the desk has a thread of its own, it may block it: it writes and syncs its batches itself
/// (`Journal.appendNow`), and requests for the desk wait in this queue (or in their sockets) meanwhile, to be
/// decided in the next batch.
///
/// Written here because no package at hand has a thread that is both a `SerialExecutor` (for the actor) and a
/// `TaskExecutor` (for `Task(executorPreference:)`): swift-nio's event loops are only the first, and cannot read
/// SO_PEERCRED or SCM_RIGHTS on a stream socket.
final class DeskThread: SerialExecutor, TaskExecutor, @unchecked Sendable {
    /// Called on this thread with the events of a watched descriptor.
    typealias Handler = @Sendable (Poller.Events) -> Void

    private let name: String
    private let poller: Poller?
    // Guarded by `lock`.
    private let lock = NSLock()
    private var jobs = Deque<UnownedJob>()
    private var calls: [@Sendable () -> Void] = []
    private var handlers: [Int32: Handler] = [:]
    private var running = false
    private var stopping = false
    /// In (or about to be in) `epoll_wait` with no time limit: a new job must wake it.
    private var asleep = false
    private var threadID: pthread_t?

    init(name: String) {
        self.name = name
        // Without epoll (no descriptors left) the desk still runs; only the control socket needs it.
        poller = try? Poller()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.lock()
        jobs.append(job)
        wakeLocked()
        lock.unlock()
    }

    /// Runs `body` on this thread, soon (from any thread).
    func perform(_ body: @escaping @Sendable () -> Void) {
        lock.lock()
        calls.append(body)
        wakeLocked()
        lock.unlock()
    }

    /// Whether the caller is on this thread.
    var isCurrent: Bool {
        lock.lock(); defer { lock.unlock() }
        guard let threadID else { return false }
        return pthread_equal(threadID, pthread_self()) != 0
    }

    /// Calls `handler` on this thread whenever `fd` has one of `events`. False (errno set) when it cannot be
    /// watched.
    @discardableResult
    func watch(_ fd: Int32, for events: Poller.Events, _ handler: @escaping Handler) -> Bool {
        guard let poller else { errno = ENOSYS; return false }
        lock.lock()
        handlers[fd] = handler
        let watched = poller.watch(fd, for: events)
        if !watched { handlers[fd] = nil }
        wakeLocked()
        lock.unlock()
        return watched
    }

    /// Stops watching `fd`; call before closing it.
    func unwatch(_ fd: Int32) {
        lock.lock()
        handlers[fd] = nil
        poller?.unwatch(fd)
        lock.unlock()
    }

    /// Called with `lock` held: starts the thread on demand (a desk that is never used, or one stopped at the
    /// end of a test, holds no thread), or wakes it from `epoll_wait`.
    private func wakeLocked() {
        if !running {
            running = true
            stopping = false
            let thread = Thread { [self] in run() }
            thread.name = name
            thread.start()
        } else if asleep {
            asleep = false
            poller?.wake()
        }
    }

    /// Lets the thread end once it has nothing left to run or watch (the desk is gone).
    func stop() {
        lock.lock()
        stopping = true
        if asleep { asleep = false; poller?.wake() }
        lock.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor { UnownedTaskExecutor(ordinary: self) }

    private func run() {
        let serial = asUnownedSerialExecutor(), task = asUnownedTaskExecutor()
        lock.lock()
        threadID = pthread_self()
        lock.unlock()
        while true {
            lock.lock()
            asleep = false
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            let bodies = calls
            calls.removeAll(keepingCapacity: true)
            let idle = batch.isEmpty && bodies.isEmpty
            if idle {
                if stopping && handlers.isEmpty {
                    running = false
                    threadID = nil
                    lock.unlock()
                    return
                }
                asleep = true
            }
            lock.unlock()
            for job in batch { job.runSynchronously(isolatedTo: serial, taskExecutor: task) }
            for body in bodies { body() }
            // With work done, only a look at the sockets (no wait), so that the jobs just queued by it run next.
            poll(timeoutMilliseconds: idle ? -1 : 0)
        }
    }

    private func poll(timeoutMilliseconds: Int32) {
        guard let poller else {
            // No epoll: wait for a job by polling the queue (only when descriptors ran out at start).
            if timeoutMilliseconds != 0 { usleep(1_000) }
            return
        }
        _ = poller.wait(timeoutMilliseconds: timeoutMilliseconds) { fd, events in
            lock.lock()
            // Awake now: jobs the handler queues need no wake-up.
            asleep = false
            let handler = handlers[fd]
            lock.unlock()
            handler?(events)
        }
    }
}
