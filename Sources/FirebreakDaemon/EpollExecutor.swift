import DequeModule
import FirebreakUnix
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A thread that is a Swift executor and waits in `epoll_wait` for both new jobs and ready descriptors: the desk
/// runs on one (its actor's executor, the executor the spool's requests prefer), the control socket on another
/// (its clients and its requests' tasks). When it has no job it looks for one for a while (`spin`, 50 µs by
/// default) before it sleeps, so that work handed over soon after needs no wake; under load it finds many clients
/// or jobs ready at once, and they go on as one batch. Invariant: two such threads handing batches to each other
/// wake each other at most once a batch, never once a request (why a wake matters here: docs/benchmarks.md,
/// "Why the code is shaped so").
///
/// Because the desk has a thread of its own, it may block it: it writes and syncs its batches itself
/// (`Journal.appendNow`), and requests for the desk wait in this queue (or in their sockets) meanwhile, to be
/// decided in the next batch.
///
/// Written here because no package at hand has a thread that is both a `SerialExecutor` (for the actor) and a
/// `TaskExecutor` (for `Task(executorPreference:)`): swift-nio's event loops are only the first, and cannot read
/// SO_PEERCRED or SCM_RIGHTS on a stream socket.
final class EpollExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    /// Called on this thread with the events of a watched descriptor.
    typealias Handler = @Sendable (Poller.Events) -> Void

    private let name: String
    private let poller: Poller
    // Guarded by `lock`.
    private let lock = NSLock()
    private var jobs = Deque<UnownedJob>()
    private var calls: [@Sendable () -> Void] = []
    private var handlers: [Int32: Handler] = [:]
    private var running = false
    private var stopping = false
    /// In (or about to be in) `epoll_wait` with no time limit: a new job must wake it.
    private var asleep = false
    /// Whether the thread is asleep in `epoll_wait` (its tests wait for that rather than for a while).
    var isAsleep: Bool {
        lock.lock()
        defer { lock.unlock() }
        return asleep
    }
    private var threadID: pthread_t?

    /// `spin`: how long to look for work after work before sleeping; `spinWhileExpecting`: how long while
    /// `expecting` is above zero. Throws when the kernel gives no epoll or eventfd (no descriptors
    /// left): the daemon does not start rather than run without its timers and sockets.
    init(name: String, spin: Duration = EpollExecutor.spinAfterWork, spinWhileExpecting: Duration = EpollExecutor.spinAfterWork) throws(PollerError) {
        self.name = name
        self.spin = EpollExecutor.multiprocessor ? spin : .zero
        self.spinWhileExpecting = EpollExecutor.multiprocessor ? spinWhileExpecting : .zero
        poller = try Poller()
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
        poller.unwatch(fd)
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
            poller.wake()
        }
    }

    /// Lets the thread end once it has nothing left to run or watch (the desk is gone).
    func stop() {
        lock.lock()
        stopping = true
        if asleep { asleep = false; poller.wake() }
        lock.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor { UnownedTaskExecutor(ordinary: self) }

    private func run() {
        let serial = asUnownedSerialExecutor(), task = asUnownedTaskExecutor()
        lock.lock()
        threadID = pthread_self()
        lock.unlock()
        ThreadName.set(name)
        while true {
            lock.lock()
            asleep = false
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            let bodies = calls
            calls.removeAll(keepingCapacity: true)
            let idle = batch.isEmpty && bodies.isEmpty
            if idle && stopping && handlers.isEmpty {
                running = false
                threadID = nil
                lock.unlock()
                return
            }
            lock.unlock()
            for job in batch { job.runSynchronously(isolatedTo: serial, taskExecutor: task) }
            for body in bodies { body() }
            if !idle {
                // With work done, only a look at the sockets (no wait), so that the jobs just queued by it run next.
                poll(timeoutMilliseconds: 0)
                lastWork = .now
                continue
            }
            if spinBriefly() { continue }
            lock.lock()
            let nothing = jobs.isEmpty && calls.isEmpty
            if nothing { asleep = true }
            lock.unlock()
            if nothing { poll(timeoutMilliseconds: -1) }
        }
    }

    /// How long the thread keeps looking for work before it sleeps, after work. A client waiting on its reply
    /// sends its next request some tens of microseconds after it, and a thread asleep in `epoll_wait` must be
    /// woken for it. Bound: at most `spin` of one core after each burst of work, nothing at rest. Not on one
    /// processor, where the spinning thread would hold the core the client needs to send. (How 50 µs was chosen:
    /// docs/benchmarks.md.)
    static let spinAfterWork: Duration = .microseconds(50)
    static let multiprocessor = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1
    private let spin: Duration
    private let spinWhileExpecting: Duration
    /// Things that will bring this thread work soon, counted by whoever knows of them: for the socket's thread
    /// its requests at the desk (each answered within a sync), for the desk's the socket's connected clients.
    let expecting = Atomic<Int>(0)
    /// When the thread last ran work; only the thread itself reads and writes it.
    private var lastWork = ContinuousClock.now

    /// Looks at the sockets and the queue without sleeping until `spin` after the last work (`spinWhileExpecting`
    /// while work is expected); true when something came.
    private func spinBriefly() -> Bool {
        while true {
            let since = ContinuousClock.now - lastWork
            guard since < spin || (since < spinWhileExpecting && expecting.load(ordering: .relaxed) > 0) else { break }
            if poll(timeoutMilliseconds: 0) { return true }
            lock.lock()
            let queued = !jobs.isEmpty || !calls.isEmpty || stopping
            lock.unlock()
            if queued { return true }
        }
        return false
    }

    /// Waits for the watched descriptors and runs their handlers; true when a handler ran.
    @discardableResult
    private func poll(timeoutMilliseconds: Int32) -> Bool {
        var handled = false
        _ = poller.wait(timeoutMilliseconds: timeoutMilliseconds) { fd, events in
            handled = true
            lock.lock()
            // Awake now: jobs the handler queues need no wake-up.
            asleep = false
            let handler = handlers[fd]
            lock.unlock()
            handler?(events)
        }
        return handled
    }
}
