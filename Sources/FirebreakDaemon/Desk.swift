import HashTreeCollections
import FirebreakCore
import FirebreakJournal
import FirebreakReview
import FirebreakUnix
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one place commands and deadlines change the state: the engine decides the events, the journal makes
/// them durable, and only then are they answered.
///
/// The desk runs on a thread of its own (`EpollExecutor`) and writes and syncs each batch itself, blocking that
/// thread: nobody can look at the desk between a change and its sync, so nobody is shown a change before its
/// author is told it is durable.
///
/// Group commit: commands that arrive while a batch is being synced wait for the desk's thread (`BatchLanes`);
/// the next batch decides each of them in turn on the state with every earlier one applied (so incident numbers
/// and the "same post" check never race), and journals all their events in one append, one fdatasync for the
/// lot. If the append fails (a full disk), the batch is taken back with `EngineUndo` and its commands are tried
/// one by one, so that one bad command (a record over the size limit) cannot fail the others.
public actor Desk {
    /// The desk's executor. While the control socket has clients it looks for work for 200 µs after work, not
    /// 50: a client's next request reaches it through the socket's thread (its reply sent, the client's next read
    /// and parsed there), which takes longer than 50 µs.
    /// Only while there are clients: the longer spin after every batch made deadlines fire late (the figures,
    /// and what is not understood about them: docs/benchmarks.md).
    nonisolated let executor: EpollExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    // Read by the queries (DeskQueries.swift); changed only here.
    private(set) var state: EngineState
    private(set) var context: EngineContext
    let journal: Journal
    let clock: @Sendable () -> Timestamp
    let wakeup = Wakeup(clock: ContinuousClock())
    /// Woken when events change the outbox, so the notifier does not wait out its sleep.
    let notifierWakeup = Wakeup(clock: ContinuousClock())
    /// Enough that a digest's outcomes are journaled in a few batches; few enough that a batch of them is
    /// decided and encoded in a few milliseconds.
    public static let backgroundPerBatch = 256
    private var lanes = BatchLanes<Job>(backgroundPerBatch: Desk.backgroundPerBatch)
    /// Where each incident's records are in the journal: a review reads those lines and no others.
    private(set) var index: IncidentIndex
    public nonisolated let metrics = DaemonMetrics()
    /// Where to keep a snapshot of the state, and when to write the next one.
    private let snapshots: SnapshotStore?
    private var snapshotPolicy: SnapshotPolicy
    /// The last record this desk journaled: the state is the fold of the journal up to it (the records only
    /// others write, lifecycle and checkpoints, change no state).
    private var appliedThrough: JournalResume?
    /// The snapshot `snapshotIfDue` started, while it is written: a clean stop waits for it.
    private var inBackground: Task<Void, Never>?
    private let log: Logger?
    /// Deadlines fire from this timer in the desk's own `epoll`, not from a task on the cooperative pool, which
    /// a busy daemon may keep waiting. The timer is not enough on its own: the drain loop must also let go of the
    /// thread (`longestHold`).
    private var deadlineTimer: DeadlineTimer
    /// After a batch of due deadlines failed to be journaled (a full disk), they are tried again no sooner than
    /// this, rather than at once and in a loop.
    private var dueRetryAt: Timestamp?
    /// Events journaled for deadlines since `status` was last asked (its caller logs them and updates STATUS).
    private var dueEventsSinceTurn = 0

    private enum Work {
        case command(Command, Actor)
        case due
        case record(JournalEntry)
    }

    private struct Job {
        let work: Work
        /// Called on the desk's thread once the job is decided (and, if it made events, durable).
        let reply: @Sendable (Result<[Event], any Error>) -> Void
    }

    public init(state: EngineState, context: EngineContext, journal: Journal, clock: @escaping @Sendable () -> Timestamp,
                index: IncidentIndex = IncidentIndex(), snapshots: SnapshotStore? = nil, snapshotEvery: Int = 100_000, logger: Logger? = nil,
                spoolRoot: String? = nil, publicKeyPath: String? = nil, startRecords: [JournalEntry] = []) throws(DaemonError) {
        // The daemon's start (and what recovery found) is journaled and sealed in one sync before anything the
        // desk decides, a deadline overdue since the last run included; from here on only the desk writes.
        var started: [JournalRecord] = []
        if !startRecords.isEmpty {
            do { started = try journal.appendNow(startRecords, seal: true) } catch {
                throw DaemonError(.journal, "cannot record the start in the journal: \(error)")
            }
        }
        do { executor = try EpollExecutor(name: "desk", spinWhileExpecting: .microseconds(200)) } catch {
            throw DaemonError(.startup, "no thread for the desk: \(error)")
        }
        deadlineTimer = try DeadlineTimer()
        self.spoolRoot = spoolRoot
        self.publicKeyPath = publicKeyPath
        self.snapshots = snapshots
        // At start the state is the fold of the journal as opened; what was replayed rather than read from a
        // snapshot counts towards the next one.
        let r = journal.recovery
        var applied = r.lastSeq > 0 ? JournalResume(seq: r.lastSeq, hash: r.lastHash) : nil
        var index = index
        Self.index(started, from: journal, into: &index, applied: &applied)
        appliedThrough = applied
        snapshotPolicy = SnapshotPolicy(every: snapshotEvery, since: r.recordCount, now: .now)
        self.log = logger
        self.state = state
        self.index = index
        self.context = context
        self.rosterNow = Mutex(context.roster)
        self.journal = journal
        self.clock = clock
        // Deadlines that passed while the daemon was down fall due at once.
        deadlineTimer.arm(for: [self.state.nextDeadline()?.time, journal.checkpointDue].compactMap { $0 }.min(), notBefore: nil, now: clock())
        let executor = self.executor, fd = deadlineTimer.descriptor
        // Weakly: the executor keeps its handlers, and a desk that is gone must not be kept by its own timer.
        guard executor.watch(fd, for: .readable, { [weak self] _ in
            PollTimer.drain(fd)
            guard let self else { return }
            Task(executorPreference: self.executor) { await self.deadlineTimerFired() }
        }) else {
            // Thrown with every property set: deinit closes the timer.
            throw DaemonError(.startup, "cannot watch the deadline timer: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        executor.unwatch(deadlineTimer.descriptor)
        deadlineTimer.close()
        executor.stop()
    }

    /// Decides, journals and applies a command. Throws `EngineError` (refused: nothing journaled) or
    /// `JournalError` (not durable: nothing applied).
    /// `background`: bookkeeping nobody waits on (the notifier's delivery outcomes): it may wait behind people and
    /// deadlines.
    public func submit(_ command: Command, by actor: Actor, background: Bool = false) async throws -> [Event] {
        try await enqueue(.command(command, actor), background: background)
    }

    /// Background commands in one visit to the desk (a digest's delivery outcomes, thousands at once): one job on
    /// the desk's thread rather than one each, so a deadline falling due meanwhile is not queued behind them.
    /// Returns each command's outcome, in order.
    public func submitInBackground(_ commands: [Command], by actor: Actor) async -> [Result<[Event], any Error>] {
        if commands.isEmpty { return [] }
        return await withCheckedContinuation { done in
            let outcomes = Outcomes(count: commands.count) { done.resume(returning: $0) }
            let jobs = commands.enumerated().map { i, command in Job(work: .command(command, actor), reply: { outcomes.set(i, $0) }) }
            if lanes.addBackground(jobs) == .startDraining { startDraining() }
        }
    }

    /// What the STATUS line and the log say, from one visit to the desk.
    public struct Status: Sendable, Equatable {
        /// Events journaled for deadlines that fell due since the last `status`.
        public let deadlineEvents: Int
        public let nextDeadline: Timestamp?
        public let activeIncidents: Int
    }

    /// The desk's status, and the deadline events since it was last asked (it is asked by one service).
    public func status() -> Status {
        defer { dueEventsSinceTurn = 0 }
        return Status(deadlineEvents: dueEventsSinceTurn, nextDeadline: nextDeadline(), activeIncidents: activeIncidents)
    }

    /// Journals an event that changes no state (a rejected report, a one-tap link used), in turn with the
    /// commands, stamped now.
    public func record(_ body: Event.Body, actor: String) async throws {
        _ = try await enqueue(.record(JournalEntry(Event(time: clock(), actor: actor, body))))
    }

    func nextDeadline() -> Timestamp? { state.nextDeadline()?.time }

    /// The public half of the journal's signing key, when it is a file here: post-mortems print the command
    /// that checks their proof with it.
    public nonisolated let publicKeyPath: String?
    public nonisolated var journalDirectory: String { journal.directory }

    /// The spool directory, where reporters' receipts are looked up (nil when the daemon has none).
    public nonisolated let spoolRoot: String?

    /// Who is who, for callers mapping a user to an actor before they come to the desk (the socket's and the
    /// spool's takes): read without a visit to the desk's thread. A reload replaces it with the context.
    public nonisolated var roster: Roster { rosterNow.withLock { $0 } }
    private nonisolated let rosterNow: Mutex<Roster>

    /// New playbooks and roster (a reload); incidents already open keep the plan they opened with.
    public func replace(context: EngineContext) {
        self.context = context
        rosterNow.withLock { $0 = context.roster }
    }

    // MARK: Batches

    private func enqueue(_ work: Work, background: Bool = false) async throws -> [Event] {
        try await withCheckedThrowingContinuation { reply in
            if lanes.add(Job(work: work, reply: { reply.resume(with: $0) }), background: background) == .startDraining { startDraining() }
        }
    }

    /// The batch starts as a job of its own, behind the requests already waiting for the desk's thread, so
    /// that they join it.
    private func startDraining() {
        Task { await self.drain() }
    }

    /// How long the drain loop keeps the thread through background batches before it lets others in.
    static let longestHold = Duration.milliseconds(5)

    private func drain() async {
        var heldSince = ContinuousClock.now
        while let jobs = lanes.nextBatch() {
            let changed = commit(jobs, retryAlone: jobs.count > 1)
            if changed {
                // Deadlines that fired are logged at once; other changes only move the STATUS line, within a
                // second. The notifier looks at most every 50 ms whatever the number of wakes.
                wakeup.wake(within: dueEventsSinceTurn > 0 ? nil : .seconds(1))
                notifierWakeup.wake()
            }
            if snapshotPolicy.isDue(at: .now) { snapshotIfDue() }
            armDeadlineTimer()
            // Background work left (a digest's thousands of outcomes) and the thread held for a while: its other
            // jobs and its timer go first, then the next batch, so no deadline or client waits behind more than
            // `longestHold` of background work. Not after every batch: under a stream of reports that would split
            // the clients' requests into more, smaller batches (figures: docs/benchmarks.md).
            if lanes.hasBackground && ContinuousClock.now - heldSince > Self.longestHold {
                await Task.yield()
                heldSince = .now
            }
        }
    }

    // MARK: The deadline timer

    /// Arms the timer for the soonest deadline, or the journal's timed checkpoint if that comes first: the desk
    /// writes the journal, so it also seals it on time.
    private func armDeadlineTimer() {
        deadlineTimer.arm(for: [state.nextDeadline()?.time, journal.checkpointDue].compactMap { $0 }.min(), notBefore: dueRetryAt, now: clock())
    }

    private func deadlineTimerFired() {
        deadlineTimer.forget()
        do {
            if try journal.sealIfDue() { indexWritten([]) }
        } catch {
            // A full disk: the checkpoint is tried again in a second (a sync that failed has stopped the daemon).
            dueRetryAt = clock() + .seconds(1)
            log?.error("the journal's timed checkpoint could not be written (\(error)); it is tried again in a second")
        }
        if lanes.add(Job(work: .due, reply: { _ in })) == .startDraining { startDraining() }
    }

    // MARK: The journal's last records

    /// Journals `entries` (the daemon's stop), seals and closes the journal; the desk accepts nothing after.
    public func close(with entries: [JournalEntry]) throws {
        indexWritten(try journal.appendNow(entries))
        try journal.closeNow()
    }

    /// Indexes what the desk just wrote, and the checkpoint that sealed it if one did, and counts both as applied
    /// (neither changes the state; a snapshot may resume at either), so that a snapshot's index never holds a
    /// record after its own seq.
    private func indexWritten(_ records: [JournalRecord]) {
        Self.index(records, from: journal, into: &index, applied: &appliedThrough)
    }

    private static func index(_ records: [JournalRecord], from journal: Journal, into index: inout IncidentIndex, applied: inout JournalResume?) {
        for r in records { index.add(r) }
        if let last = records.last, last.seq > applied?.seq ?? 0 { applied = JournalResume(seq: last.seq, hash: last.hash) }
        if let c = journal.lastCheckpoint, let place = c.place, index.checkpoints.last.map({ $0 < place }) ?? true {
            index.add(c)
            if c.seq > applied?.seq ?? 0 { applied = JournalResume(seq: c.seq, hash: c.hash) }
        }
    }

    // MARK: Snapshots

    /// Writes a snapshot of the durable state off the pool (encoding a hundred thousand incidents takes a few
    /// hundred milliseconds; the state is a value, so the desk works on while it is written).
    private func writeSnapshot() async {
        guard let snapshots, let through = appliedThrough, snapshotPolicy.start() else { return }
        let started = ContinuousClock.now
        let outcome = await snapshots.saveOffPool(JournalFold(state: state, index: index), resume: through)
        snapshotPolicy.finished(started: started, now: .now)
        switch outcome {
        case .success(let bytes): log?.debug("snapshot at seq \(through.seq): \(bytes) bytes")
        case .failure(let problem): log?.warning("no snapshot written (the journal is unaffected; the next start replays more): \(problem)")
        }
    }

    /// Starts a snapshot when enough records have passed since the last: at start, after a long replay, so it is
    /// written while the desk is quiet (a snapshot in progress makes the desk's next change copy the state).
    public func snapshotIfDue() {
        if snapshotPolicy.isDue(at: .now) && inBackground == nil {
            inBackground = Task {
                await writeSnapshot()
                inBackground = nil
            }
        }
    }

    /// Writes a snapshot now (at a clean stop, so the next start reads almost nothing), once any in progress
    /// has finished.
    public func saveSnapshot() async {
        // One being written in the background must finish first (the process exits after this returns).
        await inBackground?.value
        if snapshotPolicy.hasUnsaved { await writeSnapshot() }
    }

    /// Decides `jobs` in order, journals their events in one append and answers them. Returns whether any
    /// events became durable (new deadlines may be armed). Blocks the desk's thread through the write and sync.
    private func commit(_ jobs: [Job], retryAlone: Bool) -> Bool {
        var undo = EngineUndo()
        var entries: [JournalEntry] = []
        var outcomes: [Result<[Event], any Error>] = []
        var dueEvents = 0
        for job in jobs {
            let events: [Event]
            switch job.work {
            case .command(let command, let actor):
                switch Engine.handle(command, by: actor, state: &state, undo: &undo, now: clock(), context: context) {
                case .success(let e): events = e
                case .failure(let refused):
                    outcomes.append(.failure(refused))
                    continue
                }
            case .due:
                events = Engine.dueEvents(state: &state, undo: &undo, now: clock(), context: context)
                dueEvents += events.count
            case .record(let entry):
                entries.append(entry)
                outcomes.append(.success([]))
                continue
            }
            entries += events.map(JournalEntry.init)
            outcomes.append(.success(events))
        }
        if !entries.isEmpty {
            do {
                let started = ContinuousClock.now
                let records = try journal.appendNow(entries)
                if let last = records.last { appliedThrough = JournalResume(seq: last.seq, hash: last.hash) }
                snapshotPolicy.journaled(records.count)
                metrics.appendLatency.record(ContinuousClock.now - started)
                metrics.count(entries.map(\.type))
                dueEventsSinceTurn += dueEvents
                dueRetryAt = nil
                indexWritten(records)
            } catch {
                state.revert(undo)
                if !retryAlone, jobs.contains(where: { if case .due = $0.work { true } else { false } }) {
                    dueRetryAt = clock() + .seconds(1)
                    log?.error("deadlines that fell due could not be journaled (\(error)); they are tried again in a second")
                }
                if retryAlone {
                    var any = false
                    for job in jobs { any = commit([job], retryAlone: false) || any }
                    return any
                }
                for job in jobs { job.reply(.failure(error)) }
                return false
            }
        }
        for (job, outcome) in zip(jobs, outcomes) { job.reply(outcome) }
        return !entries.isEmpty
    }
}

/// The outcomes of `submitInBackground`'s commands, gathered as the batches answer them (on the desk's thread,
/// one at a time) and handed over when the last has come.
private final class Outcomes: @unchecked Sendable {
    private var results: [Result<[Event], any Error>?]
    private var left: Int
    private let done: ([Result<[Event], any Error>]) -> Void

    init(count: Int, done: @escaping ([Result<[Event], any Error>]) -> Void) {
        results = Array(repeating: nil, count: count)
        left = count
        self.done = done
    }

    func set(_ i: Int, _ result: Result<[Event], any Error>) {
        results[i] = result
        left -= 1
        if left == 0 { done(results.map { $0! }) }
    }
}
