#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import FirebreakCore
import FirebreakUnix
import Foundation

/// The journal: appends are durable when they return, concurrent appends share one `fdatasync`.
///
/// Two ways to write, which take turns under `commitLock` and share one chain:
/// - **On the caller's thread** (`appendNow`, `sealIfDue`, `closeNow`): for a caller that batches its appends
///   itself and has a thread that may block through a sync. The daemon's desk writes only so, on its own
///   executor, and seals on its own timer (`checkpointDue`): in the daemon the desk owns the writer, and the
///   journal starts no thread. Tools and tests use it as the blocking form.
/// - **Queued** (`append`, `close`): appenders encode their records' bodies themselves, queue them and wait; a
///   writer thread takes everything queued, gives it seqs and hashes in queue order, writes it with one `write`
///   and syncs it with one `fdatasync`, then answers every waiter at once. So the number of syncs tracks the
///   disk's speed, not the number of appenders (group commit). The thread starts with the first queued request,
///   and then also writes timed checkpoints. It is a thread, not an actor, because `fdatasync` blocks for
///   milliseconds and must not hold one of the cooperative pool's few threads (two on these machines).
public final class Journal: @unchecked Sendable {
    public let directory: String
    public let options: JournalOptions
    public let recovery: RecoveryReport

    // Guarded by `cond`.
    private let cond = NSCondition()
    private var pending: [Pending] = []
    private var failure: JournalError?
    private var closing = false
    private var finished = false
    private var closeWaiters: [@Sendable (JournalError?) -> Void] = []
    /// Why the close failed, once finished.
    private var closedWith: JournalError?
    /// Whether the writer thread was started (by the first queued request).
    private var writerStarted = false
    private var headSeq: UInt64
    private var headHash: String
    private var lastCheckpointWritten: JournalRecord?
    /// When the oldest record not yet sealed by a checkpoint was written, on `options.clock` (the records' own
    /// clock): a checkpoint is due once it is `checkpointEverySeconds` old.
    private var firstUnsealedAt: Timestamp?

    /// Held by whoever writes a batch (the writer thread, or a caller of `appendNow`); guards what follows.
    private let commitLock = NSLock()
    private var fd: Int32
    private let lockFD: Int32
    private var segmentIndex: Int
    private var segmentSize: Int
    private var sinceCheckpoint: Int
    /// Where batches are made durable instead of in the segment (see `TailRing`); nil: each segment is synced.
    private let tail: TailRing?
    /// Bytes appended to the segment since it was last synced (durable in the tail's lap meanwhile).
    private var segmentUnsynced = false
    /// The fatal failure the last commit met, until `onFatal` is told of it.
    private var unreportedFatal: JournalError?

    private struct Pending {
        let bodies: [RecordLine.Body]
        let completion: @Sendable (Result<[JournalRecord], JournalError>) -> Void
    }

    /// Opens (creating if needed) the journal in `directory`, checks every record, cuts off a torn tail, and
    /// starts the writer. `replay` sees every record with seq ≥ `replayFrom` during that one pass, so a caller
    /// rebuilding state reads the journal once.
    ///
    /// With `resume` (a snapshot's record), reading starts at that record, which must be there with that hash
    /// (else `JournalResume.Mismatch` is thrown before `replay` has seen anything, and the caller opens again
    /// without it); the records before it are not read, and `replay` sees only those after it.
    public static func open(
        directory: String,
        options: JournalOptions = JournalOptions(),
        resume: JournalResume? = nil,
        replayFrom: UInt64 = 1,
        replay: (JournalRecord) throws -> Void = { _ in }
    ) throws -> Journal {
        try FileIO.makeDirectories(directory)
        let lockFD = try FileIO.openFile(directory + "/.lock", flags: O_RDWR | O_CREAT, mode: 0o640)
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            FileIO.closeFD(lockFD)
            if code == EWOULDBLOCK {
                throw JournalError(.locked, "the journal \(directory) is open in another process (is firebreakd already running?)")
            }
            throw JournalError(.io, "cannot lock \(directory)/.lock: \(FileIO.errnoText(code))")
        }
        do {
            // What the last run made durable in the tail goes back into its segment before anything is read.
            let redo = try TailRing.redo(directory: directory)
            var since = 0
            var sealedSeen = false
            let firstReplayed = max(replayFrom, (resume?.seq ?? 0) + 1)
            let scan = try JournalReader.scanLines(directory: directory, resume: resume) { record, _ in
                if record.type == checkpointRecordType { sealedSeen = true }
                since = record.type == checkpointRecordType ? 0 : since + 1
                if record.seq >= firstReplayed { try replay(record) }
            }
            // Resumed after the last checkpoint: how many unchecked records before it were unsealed is not known,
            // so count at least one and let the start seal them.
            if resume != nil && !sealedSeen && since > 0 { since += 1 }
            var torn: RecoveryReport.TornTail?
            if let problem = scan.problem {
                guard problem.isTornTail else {
                    throw JournalError(.damaged, """
                        the journal is damaged in the middle and will not be opened: \(problem.reason). \
                        Records after this point exist, so this is not a torn write; history is never repaired \
                        automatically. Inspect it with `firebreak journal verify \(directory)` and restore the \
                        segment from a backup.
                        """, location: problem.location)
                }
                torn = try cutTornTail(directory: directory, problem: problem)
            }
            var segmentIndex = scan.segments.last ?? 1
            if scan.segments.isEmpty {
                let fd = try FileIO.openFile(directory + "/" + Segments.name(1), flags: O_WRONLY | O_CREAT | O_EXCL)
                FileIO.closeFD(fd)
                try FileIO.syncDirectory(directory)
                segmentIndex = 1
            }
            let path = directory + "/" + Segments.name(segmentIndex)
            let fd = try FileIO.openFile(path, flags: O_WRONLY | O_APPEND)
            let tail = options.tailRingBytes > 0 ? try TailRing.open(directory: directory, capacity: options.tailRingBytes) : nil
            var report = RecoveryReport(
                lastSeq: scan.lastSeq, lastHash: scan.lastHash, recordCount: scan.recordCount,
                segmentCount: max(1, scan.segments.count), tornTail: torn, unsealedCount: since, resumedAt: resume?.seq)
            report.tailFramesRewritten = redo.frames
            report.tailBytesRepaired = redo.repairedBytes
            report.tailRing = tail != nil
            let size = scan.segments.isEmpty ? 0 : scan.lastSegmentValidSize
            return Journal(directory: directory, options: options, recovery: report, fd: fd, lockFD: lockFD,
                           segmentIndex: segmentIndex, segmentSize: size, tail: tail)
        } catch {
            FileIO.closeFD(lockFD)
            throw error
        }
    }

    private init(directory: String, options: JournalOptions, recovery: RecoveryReport, fd: Int32, lockFD: Int32,
                 segmentIndex: Int, segmentSize: Int, tail: TailRing?) {
        self.tail = tail
        self.directory = directory
        self.options = options
        self.recovery = recovery
        self.fd = fd
        self.lockFD = lockFD
        self.segmentIndex = segmentIndex
        self.segmentSize = segmentSize
        self.headSeq = recovery.lastSeq
        self.headHash = recovery.lastHash
        self.sinceCheckpoint = recovery.unsealedCount
        self.firstUnsealedAt = recovery.unsealedCount > 0 ? options.clock() : nil
    }

    /// Starts the writer thread for queued requests, once. Called with `cond` held.
    private func startWriterIfNeeded() {
        guard !writerStarted else { return }
        writerStarted = true
        let thread = Thread { [self] in self.run() }
        thread.name = "journal-writer"
        thread.start()
    }

    /// The last record's seq and hash, as durable on disk.
    public var head: (seq: UInt64, hash: String) {
        cond.lock(); defer { cond.unlock() }
        return (headSeq, headHash)
    }

    /// The last signed checkpoint this run wrote, with its place: the checkpoints are the journal's own records,
    /// never returned by an append, so whoever indexes the journal as it grows (the desk) asks here after each
    /// write it made. One commit writes at most one.
    public var lastCheckpoint: JournalRecord? {
        cond.lock(); defer { cond.unlock() }
        return lastCheckpointWritten
    }

    /// Appends `entries` as consecutive records. Returns once they are on disk; throws (and nothing of them
    /// was acknowledged) otherwise.
    public func append(_ entries: [JournalEntry]) async throws -> [JournalRecord] {
        try await submit(entries)
    }

    public func append(_ entry: JournalEntry) async throws -> JournalRecord {
        try await append([entry])[0]
    }

    /// Appends `entries` (possibly none) on the calling thread, which blocks through the write and the
    /// `fdatasync`; queued appends meanwhile are written after it, in a sync of their own. With `seal`, or when a
    /// timed checkpoint is due, a signed checkpoint follows them in the same sync when anything is unsealed (the
    /// daemon seals what recovery found at start so, rather than at the next interval).
    public func appendNow(_ entries: [JournalEntry], seal: Bool = false) throws(JournalError) -> [JournalRecord] {
        let bodies = try encode(entries)
        commitLock.lock()
        defer { commitLock.unlock() }
        let timedDue = try acceptingCheckpointDue()
        if bodies.isEmpty && !seal && !timedDue { return [] }
        let result = commit([bodies], forceCheckpoint: seal || timedDue)
        reportFatal()
        return try result.get().first ?? []
    }

    /// When the next timed checkpoint is due on `options.clock` (nil: nothing unsealed, or no signer): a caller
    /// writing with `appendNow` calls `sealIfDue` then, as the writer thread would.
    public var checkpointDue: Timestamp? {
        cond.lock(); defer { cond.unlock() }
        return timedCheckpointDeadline()
    }

    /// Writes the timed checkpoint on the calling thread if it is due. Whether one was written.
    @discardableResult
    public func sealIfDue() throws(JournalError) -> Bool {
        commitLock.lock()
        defer { commitLock.unlock() }
        guard try acceptingCheckpointDue() else { return false }
        let result = commit([[]], forceCheckpoint: true)
        reportFatal()
        _ = try result.get()
        return true
    }

    private func submit(_ entries: [JournalEntry]) async throws -> [JournalRecord] {
        let bodies = try encode(entries)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[JournalRecord], Error>) in
            enqueue(bodies) { continuation.resume(with: $0) }
        }
    }

    /// Stops accepting appends, writes what is queued, seals it with a checkpoint (when signing), and closes.
    public func close() async throws {
        let error: JournalError? = await withCheckedContinuation { continuation in
            requestClose { continuation.resume(returning: $0) }
        }
        if let error { throw error }
    }

    /// `close` on the calling thread: what is queued is written, then the seal, then the files are closed.
    public func closeNow() throws(JournalError) {
        commitLock.lock()
        defer { commitLock.unlock() }
        cond.lock()
        if finished {
            let failure = self.failure
            cond.unlock()
            if let failure { throw failure }
            return
        }
        closing = true
        cond.unlock()
        // The writer thread, if there is one, finds the journal finished when it next holds `commitLock`.
        _ = writeQueued()
        cond.lock()
        let error = closedWith
        cond.unlock()
        if let error { throw error }
    }

    private func requestClose(_ completion: @escaping @Sendable (JournalError?) -> Void) {
        cond.lock()
        if finished {
            let failure = self.failure
            cond.unlock()
            completion(failure)
            return
        }
        closing = true
        closeWaiters.append(completion)
        startWriterIfNeeded()
        cond.signal()
        cond.unlock()
    }

    private func encode(_ entries: [JournalEntry]) throws(JournalError) -> [RecordLine.Body] {
        var bodies: [RecordLine.Body] = []
        bodies.reserveCapacity(entries.count)
        for entry in entries {
            let body = try RecordLine.body(for: entry)
            // seq, prev and hash add at most ~190 bytes to the body.
            guard body.bytes.count + 200 <= options.maxRecordBytes else {
                throw JournalError(.tooLarge, "a \(entry.type) record of \(body.bytes.count) bytes is over the \(options.maxRecordBytes)-byte limit")
            }
            bodies.append(body)
        }
        return bodies
    }

    /// Throws why nothing more is accepted, if so; else whether a timed checkpoint is due. For the caller-thread
    /// writes, with `commitLock` held.
    private func acceptingCheckpointDue() throws(JournalError) -> Bool {
        cond.lock(); defer { cond.unlock() }
        if let refused = refusal() { throw refused }
        return timedCheckpointDue()
    }

    /// Why nothing more is accepted, if so. Called with `cond` held.
    private func refusal() -> JournalError? {
        if let failure {
            return JournalError(.writerFailed, "the journal stopped after an earlier failure and accepts nothing: \(failure.message)")
        }
        if closing || finished { return JournalError(.closed, "the journal is closed") }
        return nil
    }

    private func enqueue(_ bodies: [RecordLine.Body], _ completion: @escaping @Sendable (Result<[JournalRecord], JournalError>) -> Void) {
        cond.lock()
        if let refused = refusal() {
            cond.unlock()
            completion(.failure(refused))
            return
        }
        if bodies.isEmpty {
            cond.unlock()
            completion(.success([]))
            return
        }
        pending.append(Pending(bodies: bodies, completion: completion))
        startWriterIfNeeded()
        cond.signal()
        cond.unlock()
    }

    // MARK: The writer thread

    private func run() {
        ThreadName.set("journal-writer")
        while true {
            cond.lock()
            while pending.isEmpty && !closing && !timedCheckpointDue() {
                if let deadline = timedCheckpointDeadline() {
                    // The deadline is on the injected clock; the wait is for as long as that clock says is left
                    // (a clock that jumps ahead calls `clockMoved`).
                    let left = Double((deadline - options.clock()).milliseconds) / 1000
                    _ = cond.wait(until: Date().addingTimeInterval(max(0, left)))
                } else {
                    cond.wait()
                }
            }
            cond.unlock()
            commitLock.lock()
            let more = writeQueued()
            commitLock.unlock()
            if !more { return }
        }
    }

    /// Writes what is queued (and a checkpoint when one is due); false once the journal is finished. Called
    /// with `commitLock` held: an `appendNow` may have written, or failed, since the writer woke.
    private func writeQueued() -> Bool {
        cond.lock()
        let done = finished
        cond.unlock()
        if done { return false }
        if failedFatally() {
            drainAfterFailure()
            return false
        }
        cond.lock()
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        let isClosing = closing
        let timedDue = timedCheckpointDue()
        cond.unlock()

        if !batch.isEmpty || timedDue {
            let result = commit(batch.map(\.bodies), forceCheckpoint: timedDue)
            answer(batch, result)
            reportFatal()
        }
        if failedFatally() {
            drainAfterFailure()
            return false
        }
        guard isClosing else { return true }
        cond.lock()
        let more = !pending.isEmpty
        cond.unlock()
        if more { return true }
        if options.signer != nil && sinceCheckpoint > 0 {
            _ = commit([[]], forceCheckpoint: true)
            reportFatal()
            if failedFatally() {
                drainAfterFailure()
                return false
            }
        }
        finish(retireTail())
        return false
    }

    /// Called with `cond` held.
    private func timedCheckpointDeadline() -> Timestamp? {
        guard options.signer != nil, let first = firstUnsealedAt else { return nil }
        return first + TimeSpan(milliseconds: Int64((options.checkpointEverySeconds * 1000).rounded()))
    }

    private func timedCheckpointDue() -> Bool {
        guard let deadline = timedCheckpointDeadline() else { return false }
        return options.clock() >= deadline
    }

    /// Tells the journal that `options.clock` moved other than with real time (a test's manual clock): the
    /// writer thread looks again whether a timed checkpoint is due, or, when there is none, the checkpoint is
    /// written here if due. The system clock never needs it.
    public func clockMoved() {
        cond.lock()
        let threaded = writerStarted
        cond.signal()
        cond.unlock()
        if !threaded { _ = try? sealIfDue() }
    }

    private func failedFatally() -> Bool {
        cond.lock(); defer { cond.unlock() }
        return failure != nil
    }

    private func answer(_ batch: [Pending], _ result: Result<[[JournalRecord]], JournalError>) {
        switch result {
        case .success(let records): for (p, r) in zip(batch, records) { p.completion(.success(r)) }
        case .failure(let error): for p in batch { p.completion(.failure(error)) }
        }
    }

    /// Gives seqs and hashes to the batch (one group of bodies per appender), writes and syncs it: the records
    /// of each group, or why none of the batch is durable. Called with `commitLock` held; a fatal failure is
    /// kept for `reportFatal`, called once the appenders are answered.
    private func commit(_ batch: [[RecordLine.Body]], forceCheckpoint: Bool) -> Result<[[JournalRecord]], JournalError> {
        var out: [UInt8] = []
        out.reserveCapacity(batch.reduce(0) { $0 + $1.reduce(0) { $0 + $1.bytes.count + 200 } } + 400)
        var seq = headSeq
        var prev = headHash
        var results: [[JournalRecord]] = []
        results.reserveCapacity(batch.count)
        var added = 0
        // Each line's start and length in `out`: its place once the batch's segment and offset are known.
        var spans: [(start: Int, length: Int)] = []
        spans.reserveCapacity(batch.reduce(0) { $0 + $1.count })
        for bodies in batch {
            var records: [JournalRecord] = []
            records.reserveCapacity(bodies.count)
            for body in bodies {
                seq += 1
                let start = out.count
                let record = RecordLine.append(body, seq: seq, prev: prev, into: &out)
                spans.append((start, out.count - start - 1))
                prev = record.hash
                records.append(record)
                added += 1
            }
            results.append(records)
        }
        var checkpoint: JournalRecord?
        var checkpointSpan = (start: 0, length: 0)
        var unsealed = sinceCheckpoint + added
        if let signer = options.signer, unsealed > 0,
           forceCheckpoint || unsealed >= options.checkpointEveryRecords {
            let entry = JournalEntry(time: options.clock(), type: checkpointRecordType, actor: options.systemActor,
                                     data: signer.checkpointData(coversSeq: seq, coversHash: prev))
            // A checkpoint body is well-formed by construction.
            let body = try! RecordLine.body(for: entry)
            seq += 1
            let start = out.count
            checkpoint = RecordLine.append(body, seq: seq, prev: prev, into: &out)
            checkpointSpan = (start, out.count - start - 1)
            prev = checkpoint!.hash
            unsealed = 0
        }
        if out.isEmpty {
            // Only a request to seal, with nothing unsealed (or no signer): nothing to write.
            return .success(results)
        }

        do {
            if segmentSize > 0 && segmentSize + out.count > options.maxSegmentBytes {
                try rotate()
            }
        } catch {
            return fail(fatal: error)
        }
        let path = directory + "/" + Segments.name(segmentIndex)
        do {
            try FileIO.writeAll(fd, out, path: path)
        } catch {
            // Nothing of this batch was synced: cut it off so the chain on disk is as before, and tell the
            // appenders. The writer goes on (a full disk may have room again later).
            if ftruncate(fd, off_t(segmentSize)) != 0 {
                return fail(fatal: JournalError(.io, "cannot undo a failed write to \(path): \(FileIO.errnoText())"))
            }
            return .failure(error)
        }
        var syncError: Int32 = 0
        var syncedPath = path
        var frameAt: Int?
        if let tail, tail.fits(out.count) {
            // Durable through the tail: the segment is synced only when a lap begins.
            if tail.needsNewLap(segment: segmentIndex, offset: segmentSize, count: out.count) {
                syncError = syncSegmentIfBehind()
                if syncError == 0 { tail.startLap(segment: segmentIndex, offset: segmentSize) }
            }
            if syncError == 0 {
                do {
                    frameAt = try tail.write(segment: segmentIndex, offset: segmentSize, payload: out)
                } catch {
                    _ = ftruncate(fd, off_t(segmentSize))
                    return fail(fatal: error)
                }
                syncedPath = tail.path
                syncError = options.dataSync.call(tail.fd)
            }
        } else {
            syncError = options.dataSync.call(fd)
            // A batch too large for the tail is durable in its segment, and so is all before it: the lap is
            // emptied, so that a lap, when there is one, always starts where the segment's unsynced bytes start.
            if syncError == 0, let tail, tail.hasLap {
                do { try tail.clear(sync: options.dataSync) } catch { return fail(fatal: error) }
            }
        }
        if syncError != 0 {
            // Best effort: cut the unacknowledged batch off (from the tail too), so that a restart does not find
            // records nobody was told about. Whether the cut itself reaches the disk cannot be known once syncs fail.
            _ = ftruncate(fd, off_t(segmentSize))
            if let frameAt { tail?.unwrite(at: frameAt) }
            return fail(fatal: JournalError(.syncFailed, """
                fdatasync of \(syncedPath) failed: \(FileIO.errnoText(syncError)). The journal stops: the kernel may have \
                dropped the unsynced pages, so retrying could acknowledge data that is not on disk.
                """))
        }
        segmentUnsynced = frameAt != nil
        var k = 0
        for g in results.indices {
            for r in results[g].indices {
                results[g][r].place = RecordPlace(segment: segmentIndex, offset: segmentSize + spans[k].start, length: spans[k].length)
                k += 1
            }
        }
        checkpoint?.place = RecordPlace(segment: segmentIndex, offset: segmentSize + checkpointSpan.start, length: checkpointSpan.length)
        segmentSize += out.count
        sinceCheckpoint = unsealed
        cond.lock()
        headSeq = seq
        headHash = prev
        if let checkpoint { lastCheckpointWritten = checkpoint }
        if unsealed == 0 {
            firstUnsealedAt = nil
        } else if firstUnsealedAt == nil {
            firstUnsealedAt = options.clock()
            // The writer may be waiting with no deadline: it has one now.
            cond.signal()
        }
        cond.unlock()
        return .success(results)
    }

    /// At a clean close: the segment synced and the tail emptied, so that nothing is written back at the next
    /// open. Nil, or why the journal could not be left so.
    private func retireTail() -> JournalError? {
        guard let tail else { return nil }
        let e = syncSegmentIfBehind()
        if e != 0 {
            return JournalError(.syncFailed, "fdatasync of \(directory)/\(Segments.name(segmentIndex)) at close failed: \(FileIO.errnoText(e))")
        }
        do { try tail.clear(sync: options.dataSync) } catch { return error }
        return nil
    }

    /// Syncs the segment when the tail holds bytes of it that the segment has not synced (before the tail's lap
    /// starts again, the segment is left, or the journal closes). 0 or the errno.
    private func syncSegmentIfBehind() -> Int32 {
        guard segmentUnsynced else { return 0 }
        let e = options.dataSync.call(fd)
        if e == 0 { segmentUnsynced = false }
        return e
    }

    private func rotate() throws(JournalError) {
        // The tail's lap may hold this segment's last batches: they must be in the segment before it is left.
        let e = syncSegmentIfBehind()
        guard e == 0 else {
            throw JournalError(.syncFailed, "fdatasync of \(directory)/\(Segments.name(segmentIndex)) failed: \(FileIO.errnoText(e))")
        }
        let next = segmentIndex + 1
        let path = directory + "/" + Segments.name(next)
        let newFD = try FileIO.openFile(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_APPEND)
        do {
            try FileIO.syncDirectory(directory)
        } catch {
            FileIO.closeFD(newFD)
            throw JournalError(.syncFailed, error.message)
        }
        FileIO.closeFD(fd)
        fd = newFD
        segmentIndex = next
        segmentSize = 0
    }

    private func fail(fatal error: JournalError) -> Result<[[JournalRecord]], JournalError> {
        cond.lock()
        failure = error
        cond.unlock()
        unreportedFatal = error
        return .failure(error)
    }

    /// Calls `onFatal` for a failure `commit` met, once its appenders have been told. Called with `commitLock`.
    private func reportFatal() {
        guard let error = unreportedFatal else { return }
        unreportedFatal = nil
        options.onFatal?(error)
    }

    private func drainAfterFailure() {
        cond.lock()
        let rest = pending
        pending.removeAll()
        let failure = self.failure!
        cond.unlock()
        for p in rest { p.completion(.failure(failure)) }
        finish(failure)
    }

    private func finish(_ error: JournalError?) {
        FileIO.closeFD(fd)
        flock(lockFD, LOCK_UN)
        FileIO.closeFD(lockFD)
        cond.lock()
        finished = true
        closing = true
        closedWith = error
        // A writer thread waiting for work ends.
        cond.broadcast()
        let waiters = closeWaiters
        closeWaiters.removeAll()
        let rest = pending
        pending.removeAll()
        cond.unlock()
        for p in rest { p.completion(.failure(JournalError(.closed, "the journal is closed"))) }
        for w in waiters { w(error) }
    }

    /// Keeps the bytes after a torn tail in a file beside the segment, then cuts the segment back to its last
    /// whole record. The copy is synced before the cut, so the evidence is never lost with the cut.
    private static func cutTornTail(directory: String, problem: JournalProblem) throws(JournalError) -> RecoveryReport.TornTail {
        let segmentPath = directory + "/" + problem.location.segment
        let all = try FileIO.readAll(segmentPath)
        let tail = Array(all[problem.location.offset...])
        let stamp = JournalOptions.systemClock().millisecondsSinceEpoch
        let asidePath = "\(segmentPath).torn-\(stamp)"
        let asideFD = try FileIO.openFile(asidePath, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o640)
        defer { FileIO.closeFD(asideFD) }
        try FileIO.writeAll(asideFD, tail, path: asidePath)
        guard fsync(asideFD) == 0 else { throw JournalError(.syncFailed, "cannot fsync \(asidePath): \(FileIO.errnoText())") }
        try FileIO.syncDirectory(directory)
        let segFD = try FileIO.openFile(segmentPath, flags: O_WRONLY)
        defer { FileIO.closeFD(segFD) }
        guard ftruncate(segFD, off_t(problem.location.offset)) == 0 else {
            throw JournalError(.io, "cannot truncate \(segmentPath): \(FileIO.errnoText())")
        }
        guard fsync(segFD) == 0 else { throw JournalError(.syncFailed, "cannot fsync \(segmentPath): \(FileIO.errnoText())") }
        let digest = Hex.lowercase(SHA256.hash(data: tail))
        return RecoveryReport.TornTail(location: problem.location, reason: problem.reason, bytes: tail.count,
                                       sha256: digest, movedTo: asidePath)
    }
}
