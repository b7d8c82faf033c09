import FirebreakCore
import FirebreakJournal
import FirebreakUnix
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The spool: a maildir-style drop box. Writers create a report in `tmp/` and rename it into `new/`; the daemon
/// takes it from `new/`, and once its records are durable moves it to `done/`. A file that is not a good report
/// goes to `rejected/` with a `.reason` file beside it and a `report.rejected` journal record. The reporter is
/// the file's owner.
///
/// Evidence goes beside the report: the writer puts each file in `evidence/` first and names it in the report's
/// `evidence` list; the files must be regular, single-link and the report owner's. Once the report is durable
/// they follow it to `done/` (or `rejected/`) as `<report>.<name>`.
public final class Spool: Sendable {
    public let root: String
    let desk: Desk
    let evidence: EvidenceStore
    let logger: Logger
    public static let maxBytes = 256 * 1024
    /// The spool's thread: it reads `new/`'s inotify events and the dropped files, and runs the takes in between
    /// their visits to the desk. Copying evidence (hashed and synced) goes to `BlockingWork` instead, so a large
    /// screenshot does not hold up the next report's read.
    let executor: EpollExecutor
    /// Files being taken at once. Each take waits for its report to be durable; the desk journals everything that
    /// arrived meanwhile in one append, so a burst costs a few syncs instead of one per file.
    static let width = 32
    /// The names being taken: a name is never taken twice at once (an event and a rescan can name the same file).
    private let taking = Mutex<Set<String>>([])
    private let stopped = Atomic<Bool>(false)
    /// The end of `arrivals`' stream, which `stop` finishes.
    private let arriving = Mutex<AsyncStream<[String]>.Continuation?>(nil)
    /// new/'s watch, made at start (before READY, and before the control socket can take every descriptor
    /// left), handed to `arrivals`.
    private let watch: Mutex<Inotify?>
    /// Names made in new/ itself (IN_CREATE) and not yet closed after writing: a writer that skips tmp/ may still
    /// be writing them. Asked only when the kernel will not say (no read lease: see `beingWritten`).
    private let writing = Mutex<Set<String>>([])
    /// When a name was first seen with more than one link: a maildir writer that delivers by `link` removes its
    /// tmp/ name just after, so a second link is refused only once it has stayed `linkGrace`.
    private let linkedSince = Mutex<[String: ContinuousClock.Instant]>([:])
    static let linkGrace = Duration.milliseconds(300)
    /// The safety net under inotify: new/ is read again this often, so whatever the events missed (or what was
    /// left because it was being written) is taken or refused within it.
    static let rescanMilliseconds = 250

    public init(root: String, desk: Desk, evidence: EvidenceStore, logger: Logger) throws {
        self.root = root
        self.desk = desk
        self.evidence = evidence
        self.logger = logger
        // No spin after work: nobody waits on the spool's thread for a reply, and on two cores a thread that
        // spins after each take would take turns from the desk it waits for.
        do { executor = try EpollExecutor(name: "spool", spin: .zero, spinWhileExpecting: .zero) } catch { throw DaemonError(.startup, "no thread for the spool: \(error)") }
        // tmp/ and new/ take files from anyone (sticky, not listable, like a mail spool); done/ and rejected/
        // are the daemon's. tmpfiles.d sets these on a host; here they are made when missing.
        for (sub, mode) in [("", 0o755), ("tmp", 0o1733), ("new", 0o1733), ("evidence", 0o1733), ("done", 0o750), ("rejected", 0o750)] as [(String, mode_t)] {
            let path = sub.isEmpty ? root : root + "/" + sub
            if !FileManager.default.fileExists(atPath: path) {
                guard mkdir(path, mode) == 0 || errno == EEXIST else {
                    throw DaemonError(.startup, "cannot create the spool directory \(path): \(String(cString: strerror(errno)))")
                }
                chmod(path, mode)
            }
        }
        do {
            // IN_CREATE too: a symlink, FIFO, socket, directory or hard link made in new/ itself is never renamed
            // in nor closed after writing, and must still be refused at once.
            watch = Mutex(try Inotify(watching: root + "/new", for: [.movedTo, .closeWrite, .create]))
        } catch {
            throw DaemonError(.startup, "cannot watch \(root)/new: \(error)")
        }
        // A read lease held while a report is read is broken by a writer's open, and the kernel tells the holder
        // with SIGIO, whose default ends the process. The open just waits until the read is done.
        signal(SIGIO, SIG_IGN)
    }

    deinit {
        watch.withLock { $0?.close() }
        executor.stop()
    }

    /// The names that appear in `new/`, as they appear: first what is there already (what arrived while the
    /// daemon was down), then each inotify batch, read on the spool's thread when its `epoll` says so; after an
    /// overflow of the kernel's queue, everything there again. Watched before the first scan, so nothing
    /// renamed in between is missed. Ends when its reader stops.
    func arrivals() throws -> AsyncStream<[String]> {
        guard let inotify = watch.withLock({ w in defer { w = nil }; return w }) else {
            throw DaemonError(.startup, "the spool's arrivals were asked for twice")
        }
        let (names, arrived) = AsyncStream.makeStream(of: [String].self)
        arriving.withLock { $0 = arrived }
        arrived.yield(scan())
        let executor = self.executor, fd = inotify.descriptor
        let watched = executor.watch(fd, for: .readable) { [weak self] _ in
            // Level-triggered: read until nothing is left.
            while let batch = inotify.next() {
                guard let self else { return }
                self.writing.withLock { writing in
                    for event in batch.events {
                        if event.created { writing.insert(event.name) } else { writing.remove(event.name) }
                    }
                }
                if batch.overflowed {
                    self.logger.warning("spool: the kernel's event queue overflowed; rescanning \(self.root)/new")
                    arrived.yield(self.scan())
                } else {
                    arrived.yield(batch.names)
                }
            }
        }
        let timer = PollTimer.create(everyMilliseconds: Self.rescanMilliseconds)
        let timed = timer >= 0 && executor.watch(timer, for: .readable) { [weak self] _ in
            PollTimer.drain(timer)
            if let self { arrived.yield(self.scan()) }
        }
        guard watched, timed else {
            let problem = String(cString: strerror(errno))
            inotify.close()
            if timer >= 0 { close(timer) }
            throw DaemonError(.startup, "cannot watch \(root)/new: \(problem)")
        }
        arrived.onTermination = { _ in
            executor.perform {
                executor.unwatch(fd)
                executor.unwatch(timer)
                inotify.close()
                close(timer)
            }
        }
        return names
    }

    /// Takes each name as it arrives, `width` at once, until `arrivals` ends; then waits for the takes under way.
    func takeAll(_ arrivals: AsyncStream<[String]>) async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await names in arrivals {
                for name in names where claim(name) {
                    if running == Self.width {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask(executorPreference: executor) {
                        await self.take(name)
                        self.taking.withLock { _ = $0.remove(name) }
                    }
                }
            }
        }
    }

    private func claim(_ name: String) -> Bool {
        taking.withLock { $0.insert(name).inserted }
    }

    /// No file is taken after this (the ones under way finish), and `arrivals` ends.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        arriving.withLock { $0?.finish() }
    }

    private var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Every name in `new/`, oldest first (maildir names start with the time).
    func scan() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/new")) ?? []).sorted()
    }

    struct Rejection: Error {
        let field: String
        let reason: String
    }

    /// Not taken this time, and not refused: the file stays in new/.
    struct Left: Error {}

    /// One file from `new/`: read safely, handed to the engine, moved.
    func take(_ name: String) async {
        guard !isStopped, !name.hasPrefix("."), !name.contains("/"), name != "..", name.utf8.count <= 255 else { return }
        let path = root + "/new/" + name
        var left = false
        defer {
            if !left {
                linkedSince.withLock { _ = $0.removeValue(forKey: name) }
                writing.withLock { _ = $0.remove(name) }
            }
        }
        var owner = "unknown"
        var ownerUID: uid_t?
        var evidenceNames: [String] = []
        // Whose entry it is, even when it is one that is never opened (a symlink, a socket): its receipt is theirs.
        var entry = stat()
        if lstat(path, &entry) == 0 {
            owner = userName(entry.st_uid)
            ownerUID = entry.st_uid
        }
        do {
            let (bytes, uid) = try readSafely(name)
            owner = userName(uid)
            ownerUID = uid
            let json: JSONValue
            do { json = try JSONParser.parse(bytes) } catch {
                throw Rejection(field: "file", reason: error.reason.contains("UTF-8") ? "is not valid UTF-8 text (\(error))" : "is not JSON: \(error)")
            }
            var report: Report
            do { report = try Report(json: json) } catch { throw Rejection(field: error.field, reason: error.reason) }
            evidenceNames = report.evidence
            report.attached = try await storeEvidence(report.evidence, owner: uid)
            let actor = Actor.from(unixUser: owner, roster: desk.roster)
            let outcome: Result<[Event], Error>
            do { outcome = .success(try await desk.submit(.report(report, key: "spool:\(name)"), by: actor)) } catch { outcome = .failure(error) }
            switch outcome {
            case .success(let events):
                move(name, to: "done")
                moveEvidence(evidenceNames, of: name, owner: uid, to: "done")
                logger.info("spool: \(name) from \(owner) went to \(events.first?.incident ?? "?")", metadata: ["report": .string(name)])
            case .failure(let e as EngineError) where e.code == .duplicate:
                // Already in the journal (a crash between recording it and moving the file): move, never apply twice.
                move(name, to: "done")
                moveEvidence(evidenceNames, of: name, owner: uid, to: "done")
                logger.info("spool: \(name) was already recorded (\(e.incident ?? "?")); moved to done")
            case .failure(let e as EngineError):
                throw Rejection(field: e.code == .invalidReport ? "url" : "report", reason: e.message)
            case .failure(let e):
                // Not durable: leave it in new/ to be taken again (a failed sync stops the daemon anyway).
                logger.error("spool: \(name) not recorded, left in new/: \(e)")
            }
        } catch let r as Rejection {
            await reject(name, owner: owner, field: r.field, reason: r.reason)
            if let ownerUID { moveEvidence(evidenceNames, of: name, owner: ownerUID, to: "rejected") }
        } catch is CancellationError {
            return  // the file went away meanwhile
        } catch is Left {
            left = true
            return  // still being written, or a second link about to go: the next event or rescan takes it
        } catch {
            logger.error("spool: \(name): \(error)")
        }
    }

    /// A file someone dropped, opened without following a link and without blocking on a FIFO, and refused when
    /// it is a hard link to another file. `label` names it in reasons ("" for the report itself).
    private func openDropped(_ path: String, field: String, label: String, linkGrace name: String? = nil,
                             ifMissing: () -> any Error) throws -> (fd: Int32, info: stat) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            if errno == ELOOP { throw Rejection(field: field, reason: "\(label)is a symbolic link; put the file itself there") }
            if errno == ENOENT { throw ifMissing() }
            throw Rejection(field: field, reason: "\(label)cannot be opened: \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw Rejection(field: field, reason: "\(label)cannot be examined")
        }
        guard (st.st_mode & S_IFMT) != S_IFREG || st.st_nlink == 1 else {
            close(fd)
            if let name {
                let now = ContinuousClock.now
                let since = linkedSince.withLock { seen in seen[name] ?? { seen[name] = now; return now }() }
                if now - since < Self.linkGrace { throw Left() }
            }
            throw Rejection(field: field, reason: "\(label)has \(st.st_nlink) hard links; drop a file of your own, not a link to another")
        }
        return (fd, st)
    }

    /// The report `new/name`: a regular file with one link, nobody writing it, under the size cap.
    func readSafely(_ name: String) throws -> ([UInt8], uid_t) {
        // Gone meanwhile: taken by a rescan.
        let (fd, st) = try openDropped(root + "/new/" + name, field: "file", label: "", linkGrace: name, ifMissing: { CancellationError() })
        defer { close(fd) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw Rejection(field: "file", reason: "is not a regular file (a directory, FIFO, socket or device)") }
        guard !beingWritten(fd, name: name) else { throw Left() }
        defer { _ = fcntl(fd, Self.setLease, Self.unlock) }
        guard Int(st.st_size) <= Self.maxBytes else { throw Rejection(field: "file", reason: "is \(st.st_size) bytes, over the \(Self.maxBytes)-byte limit") }
        var bytes = [UInt8](repeating: 0, count: Self.maxBytes + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        guard filled <= Self.maxBytes else { throw Rejection(field: "file", reason: "grew past the \(Self.maxBytes)-byte limit while being read") }
        return (Array(bytes[0..<filled]), st.st_uid)
    }

    static let setLease: Int32 = 1024  // F_SETLEASE, which Glibc's module does not export
    static let readLease: Int32 = 0  // F_RDLCK
    static let unlock: Int32 = 2  // F_UNLCK

    /// Whether someone has the file open for writing: it is then not read, so never taken half-written. The kernel
    /// knows: a read lease is refused (EAGAIN) while the file is open for writing anywhere, and once held, it
    /// makes a writer's open wait until the read is done. Taking one needs CAP_LEASE (the unit gives it) or the
    /// file's ownership; without either, the spool goes by its own record of names made in new/ and not yet
    /// closed (`writing`), which cannot know of a file made while the daemon was down.
    private func beingWritten(_ fd: Int32, name: String) -> Bool {
        if fcntl(fd, Self.setLease, Self.readLease) == 0 { return false }
        if errno == EAGAIN || errno == EBUSY { return true }
        return writing.withLock { $0.contains(name) }
    }

    /// Stores each named file from `evidence/`, only a file of the report's owner: nobody attaches someone
    /// else's file. What the store refuses (not a regular file, too large) rejects the report.
    func storeEvidence(_ names: [String], owner: uid_t) async throws -> [Evidence] {
        var stored: [Evidence] = []
        for (i, name) in names.enumerated() {
            let field = "evidence[\(i)]", label = "evidence/\(name) "
            let (fd, st) = try openDropped(root + "/evidence/" + name, field: field, label: label, ifMissing: {
                Rejection(field: field, reason: "there is no evidence/\(name) in the spool; put the file there before moving the report into new/")
            })
            defer { close(fd) }
            guard st.st_uid == owner else { throw Rejection(field: field, reason: "\(label)belongs to \(userName(st.st_uid)), not to the report's owner") }
            let evidence = self.evidence
            let copied = await BlockingWork.run { () -> Result<Evidence, DaemonError> in
                do throws(DaemonError) { return .success(try evidence.store(fd: fd, name: name)) } catch { return .failure(error) }
            }
            switch copied {
            case .success(let kept): stored.append(kept)
            case .failure(let error): throw Rejection(field: field, reason: label + error.message)
            }
        }
        return stored
    }

    /// Moves a report's evidence files out of `evidence/` after it (only files of its owner, so a report cannot
    /// move anyone else's).
    func moveEvidence(_ names: [String], of report: String, owner: uid_t, to sub: String) {
        for name in names where Evidence.problem(withName: name) == nil {
            var st = stat()
            guard lstat(root + "/evidence/" + name, &st) == 0, st.st_uid == owner else { continue }
            place("evidence/" + name, in: sub, as: report + "." + name)
        }
    }

    /// Journals the rejection, then moves the file to `rejected/` with its reason: as with an accepted report,
    /// a file is out of `new/` only once its record is durable, so a crash between the two takes it again (and
    /// records it twice) rather than leaving a rejection nobody recorded.
    func reject(_ name: String, owner: String, field: String, reason: String) async {
        let rejected = ReportRejected(file: name, owner: owner, field: field, reason: reason)
        let recorded: Bool
        do { try await desk.record(.reportRejected(rejected), actor: owner); recorded = true } catch { recorded = false }
        let target = move(name, to: "rejected")
        let text = "file: \(name)\nowner: \(owner)\nfield: \(field)\nreason: \(reason)\nat: \(JournalOptions.systemClock().rfc3339)\n"
        if !FileManager.default.createFile(atPath: root + "/rejected/" + target + ".reason", contents: Data(text.utf8), attributes: [.posixPermissions: 0o640]) {
            logger.error("spool: could not write rejected/\(target).reason (\(field): \(reason))")
        }
        logger.warning("spool: rejected \(name) from \(owner): \(field) \(reason)\(recorded ? "" : " (could not be journaled)")")
    }

    /// Moves a file out of `new/`; returns the name it got.
    @discardableResult
    func move(_ name: String, to sub: String) -> String { place("new/" + name, in: sub, as: name) }

    /// Renames `from` (relative to the spool) into `sub/`, never over another file; returns the name it got.
    @discardableResult
    private func place(_ from: String, in sub: String, as name: String) -> String {
        var target = name
        if FileManager.default.fileExists(atPath: root + "/" + sub + "/" + target) { target += ".\(JournalOptions.systemClock().millisecondsSinceEpoch)" }
        if rename(root + "/" + from, root + "/" + sub + "/" + target) != 0 {
            logger.error("spool: cannot move \(from) to \(sub)/: \(String(cString: strerror(errno)))")
        }
        return target
    }
}

/// Takes the spool's files for the service group's lifetime. At a graceful shutdown it stops taking new files
/// and returns once the takes under way are durable (or refused).
struct SpoolService: Service {
    let spool: Spool

    func run() async throws {
        let arrivals = try spool.arrivals()
        await withGracefulShutdownHandler {
            await spool.takeAll(arrivals)
        } onGracefulShutdown: {
            spool.stop()
        }
    }
}
