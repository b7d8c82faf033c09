import FirebreakCore
import FirebreakProtocol
import FirebreakSystemd
import FirebreakUnix
import Foundation
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The control socket: a Unix stream socket, passed by systemd (socket activation) or bound by the daemon when
/// started by hand. Served on a thread of its own (a `EpollExecutor` named "socket", waiting in epoll for its jobs
/// and its clients alike) with non-blocking system calls: it reads and parses requests and writes replies, the
/// desk's thread decides, journals and syncs them, so on two cores the one's socket work runs beside the other's
/// deciding and syncing. Under load each hand-over carries a batch (16 clients: one wake of the desk for all the
/// requests that came meanwhile); with one client, this thread looks for the reply for up to a sync's length
/// instead of sleeping (`EpollExecutor.expecting`), so the hop costs no wake (the measurement that moved the socket
/// here: docs/benchmarks.md). A slow or silent client holds no thread, and a client is accepted and a malformed
/// request refused while the desk is in a sync.
///
/// Plain system calls, because SO_PEERCRED (who the caller is) and SCM_RIGHTS (evidence files) on a stream
/// socket are what NIO does not expose.
///
/// Everything here but `open` and `stop` runs on the socket's thread, so the connections need no lock; a reply
/// reaches its connection on that thread too, after its sync, and is dropped if the connection closed meanwhile
/// (its descriptor is never written after `drop`, whatever number the kernel hands out next).
public final class ControlSocket: @unchecked Sendable {
    let listenFD: Int32
    let path: String?
    let desk: Desk
    let evidence: EvidenceStore
    let web: WebSessions?
    let logger: Logger
    /// Serves the clients; the desk's own thread decides and syncs their requests. While a request is at the
    /// desk it looks for the answer for up to 2 ms instead of sleeping: longer than a fast sync, so one client's
    /// reply needs no wake; a slower sync than that and it sleeps and is woken.
    let executor: EpollExecutor
    private var connections: [Int32: Connection] = [:]
    private var stopped = false
    /// Accepting paused: the daemon ran out of descriptors (EMFILE); the sweep tries again.
    private var acceptPaused = false
    private var sweepTimer: Int32 = -1
    /// Where every client's bytes are received (one at a time, on the socket's thread).
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    /// An idle client is dropped after five minutes.
    static let idleLimit: Duration = .seconds(300)

    init(listenFD: Int32, path: String?, desk: Desk, evidence: EvidenceStore, web: WebSessions?, logger: Logger) throws {
        do { executor = try EpollExecutor(name: "socket", spinWhileExpecting: .milliseconds(2)) } catch {
            close(listenFD)
            throw DaemonError(.startup, "no thread for the control socket: \(error)")
        }
        self.web = web
        self.listenFD = listenFD
        self.path = path
        self.desk = desk
        self.evidence = evidence
        self.logger = logger
    }

    /// The activated socket if systemd passed one, else a socket bound at `path` (a stale socket file left by a
    /// crash is replaced; one another daemon is listening on is not).
    public static func open(path: String, desk: Desk, evidence: EvidenceStore, web: WebSessions?, logger: Logger) throws -> ControlSocket {
        if let fd = SystemdListenFDs.single() {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            logger.info("control socket passed by systemd (socket activation)")
            return try ControlSocket(listenFD: fd, path: nil, desk: desk, evidence: evidence, web: web, logger: logger)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        guard UnixSocket.address(path) != nil else { throw DaemonError(.startup, "socket path \(path) is too long") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw DaemonError(.startup, "cannot create a socket: \(String(cString: strerror(errno)))") }
        var rc = UnixSocket.bind(fd, to: path)
        if rc != 0 && errno == EADDRINUSE {
            // In use, or a file left behind by a crash? Only a live listener accepts a connection.
            let probe = UnixSocket.connected(to: path)
            if probe >= 0 { close(probe); close(fd); throw DaemonError(.startup, "another daemon is listening on \(path)") }
            unlink(path)
            rc = UnixSocket.bind(fd, to: path)
        }
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw DaemonError(.startup, "cannot bind the control socket \(path): \(why)")
        }
        // Anyone on the host may connect: what they may do is decided by who they are (SO_PEERCRED and the roster).
        chmod(path, 0o666)
        guard listen(fd, 128) == 0 else { close(fd); throw DaemonError(.startup, "cannot listen on \(path): \(String(cString: strerror(errno)))") }
        return try ControlSocket(listenFD: fd, path: path, desk: desk, evidence: evidence, web: web, logger: logger)
    }

    /// Starts serving on the socket's thread.
    func start() throws {
        guard executor.watch(listenFD, for: .readable, { [self] _ in acceptReady() }) else {
            throw DaemonError(.startup, "cannot watch the control socket: \(String(cString: strerror(errno)))")
        }
        // The sweep: idle clients, and accepting again after running out of descriptors. Without it idle clients
        // would hold their descriptors for good, so the daemon does not start without it.
        sweepTimer = PollTimer.create(everyMilliseconds: 5_000)
        guard sweepTimer >= 0, executor.watch(sweepTimer, for: .readable, { [self] _ in sweep() }) else {
            throw DaemonError(.startup, "no timer for the control socket's sweep: \(String(cString: strerror(errno)))")
        }
    }

    /// Stops accepting and drops every client (their requests in progress are not answered). Returns at once;
    /// the descriptors are closed on the socket's thread.
    func stop() {
        if let path { unlink(path) }
        executor.perform { [self] in
            guard !stopped else { return }
            stopped = true
            executor.unwatch(listenFD)
            close(listenFD)
            if sweepTimer >= 0 { executor.unwatch(sweepTimer); close(sweepTimer) }
            for c in Array(connections.values) { drop(c) }
            executor.stop()
        }
    }

    // MARK: Accepting and sweeping

    private func acceptReady() {
        while !stopped && !acceptPaused {
            let fd = UnixSocket.acceptNonBlocking(listenFD)
            if fd < 0 {
                let e = errno
                switch e {
                case ECONNABORTED, EPROTO, EINTR:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    return
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Level-triggered: the waiting client would make the listener ready again at once. Pause until
                    // a client goes or the next sweep.
                    logger.error("control socket: cannot accept (\(String(cString: strerror(e)))); trying again when a client goes, or in 5 s")
                    acceptPaused = true
                    executor.unwatch(listenFD)
                    return
                default:
                    logger.error("control socket accept failed: \(String(cString: strerror(e)))")
                    return
                }
            }
            guard let (_, user) = Self.peer(fd) else { close(fd); continue }
            let c = Connection(fd: fd, user: user)
            connections[fd] = c
            if watch(c, writable: false) { desk.executor.expecting.add(1, ordering: .relaxed) } else { connections[fd] = nil; close(fd) }
        }
    }

    private func sweep() {
        PollTimer.drain(sweepTimer)
        let now = ContinuousClock.now
        for c in Array(connections.values) where !c.busy && now - c.lastActive > Self.idleLimit { drop(c) }
        resumeAccepting()
    }

    /// After running out of descriptors: at the sweep, or as soon as a client's going frees one, so that a
    /// backlog of clients that already left is worked through without waiting five seconds for each pause.
    private func resumeAccepting() {
        guard acceptPaused && !stopped else { return }
        acceptPaused = false
        executor.watch(listenFD, for: .readable) { [self] _ in acceptReady() }
    }

    /// Writable only while a reply waits for room: otherwise every read of a reply by the client would wake
    /// the socket's thread for nothing.
    @discardableResult
    private func watch(_ c: Connection, writable: Bool) -> Bool {
        c.watchingWritable = writable
        let events: Poller.Events = writable ? [.readable, .writable, .peerClosed, .edge] : [.readable, .peerClosed, .edge]
        return executor.watch(c.fd, for: events) { [self, c] events in ready(c, events) }
    }

    /// Who is on the other end, as the kernel says.
    static func peer(_ fd: Int32) -> (uid: uid_t, user: String)? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — Glibc hides it behind _GNU_SOURCE.
        struct PeerCredentials { var pid: Int32 = 0; var uid: uid_t = 0; var gid: gid_t = 0 }
        var cred = PeerCredentials()
        var len = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else { return nil }
        return (cred.uid, userName(cred.uid))
    }

    // MARK: A client

    private func ready(_ c: Connection, _ events: Poller.Events) {
        guard !c.closed else { return }
        if events.contains(.writable) && !c.output.isEmpty { flush(c) }
        // Anything but room to write: bytes, the end of the stream or an error, which the read finds out.
        if !events.subtracting(.writable).isEmpty { read(c) }
        advance(c)
    }

    /// Reads what the client has sent, until the socket is empty (edge-triggered) or a request line's worth waits.
    private func read(_ c: Connection) {
        while !c.closed && !c.atEnd {
            if c.input.count > ControlProtocol.maxLine + chunk.count {
                // Enough to find the next line or refuse it: read on once it is answered.
                c.moreToRead = true
                return
            }
            let r = UnixSocket.receive(c.fd, into: &chunk)
            for f in r.fds { c.passed.append((at: c.input.count, fd: f)) }
            if r.truncated || c.passed.count > UnixSocket.maxFDs {
                refuse(c, ControlProtocol.reply(id: .null, .failure(ProtocolError(.tooManyFiles, "at most \(Report.maxEvidence) files go with one request"))))
                return
            }
            if r.count > 0 {
                c.input.append(contentsOf: chunk[0..<r.count])
                c.lastActive = .now
            } else if r.count == 0 {
                c.atEnd = true
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                c.moreToRead = false
                return
            } else {
                drop(c)
                return
            }
        }
    }

    /// Takes the client's next request when the last is answered, and closes the connection once it has ended
    /// and nothing is left to say.
    private func advance(_ c: Connection) {
        while !c.closed && !c.busy && c.output.isEmpty {
            if let nl = c.nextNewline() {
                if nl > ControlProtocol.maxLine { return refuse(c, Self.tooLarge) }
                let line = Array(c.input[..<nl])
                c.input.removeSubrange(...nl)
                c.scanned = 0
                let mine = c.passed.filter { $0.at <= nl }.map(\.fd)
                c.passed = c.passed.filter { $0.at > nl }.map { (at: $0.at - nl - 1, fd: $0.fd) }
                if let immediate = begin(line, from: c, fds: mine) { send(c, immediate) }
                continue
            }
            if c.input.count > ControlProtocol.maxLine { return refuse(c, Self.tooLarge) }
            if c.moreToRead {
                read(c)
                if c.moreToRead || c.closed { return }
                continue
            }
            if c.atEnd { drop(c) }
            return
        }
    }

    static let tooLarge = ControlProtocol.reply(id: .null, .failure(ProtocolError(.tooLarge, "a request line is limited to \(ControlProtocol.maxLine) bytes")))

    /// Says why and hangs up once it is said.
    private func refuse(_ c: Connection, _ reply: JSONValue) {
        c.hangUpAfterReply = true
        c.atEnd = true
        send(c, (reply, nil))
    }

    private func send(_ c: Connection, _ reply: (JSONValue, Int32?)) {
        guard !c.closed else {
            if let fd = reply.1 { close(fd) }
            return
        }
        JSONWriter.write(reply.0, into: &c.output)
        c.output.append(0x0A)
        if let fd = reply.1 { c.outputFDs.append(fd) }
        flush(c)
    }

    /// Writes what it can of the reply; the rest when the socket is writable again.
    private func flush(_ c: Connection) {
        while !c.closed && !c.output.isEmpty {
            let n = UnixSocket.send(c.fd, c.output, fds: c.outputFDs)
            if n > 0 {
                c.output.removeFirst(n)
                for fd in c.outputFDs { close(fd) }
                c.outputFDs = []
                c.lastActive = .now
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if !c.watchingWritable { watch(c, writable: true) }
                return
            } else {
                drop(c)
                return
            }
        }
        guard !c.closed else { return }
        if c.hangUpAfterReply { return drop(c) }
        if c.watchingWritable { watch(c, writable: false) }
    }

    private func drop(_ c: Connection) {
        guard !c.closed else { return }
        c.closed = true
        executor.unwatch(c.fd)
        if connections.removeValue(forKey: c.fd) != nil { desk.executor.expecting.subtract(1, ordering: .relaxed) }
        close(c.fd)
        for p in c.passed { close(p.fd) }
        for fd in c.outputFDs { close(fd) }
        c.passed = []
        c.outputFDs = []
        resumeAccepting()
    }

    /// Answered by the task started here, on the socket's thread.
    private func answer(_ c: Connection, _ reply: (JSONValue, Int32?)) {
        if !executor.isCurrent {
            executor.perform { [self] in answer(c, reply) }
            return
        }
        c.busy = false
        executor.expecting.subtract(1, ordering: .relaxed)
        send(c, reply)
        advance(c)
    }

    /// Starts one request. Returns the reply when it is known at once (a malformed request); otherwise the
    /// connection is busy until a task answers it, so replies keep the order of requests.
    private func begin(_ line: [UInt8], from c: Connection, fds: [Int32]) -> (JSONValue, Int32?)? {
        let desk = self.desk, evidence = self.evidence, web = self.web, user = c.user
        let actor = Actor.from(unixUser: user, roster: desk.roster)
        let request: ControlProtocol.Request
        switch ControlProtocol.Request.decode(line, files: fds.count, admit: { ControlRequests.admit($0, actor) }) {
        case .success(let r): request = r
        case .failure(let refusal):
            for f in fds { close(f) }
            return (ControlProtocol.reply(id: refusal.id, .failure(refusal.error)), nil)
        }
        let id = request.id, operation = request.operation
        c.busy = true
        executor.expecting.add(1, ordering: .relaxed)
        Task(executorPreference: executor) { [self] in
            // Files to store first (copied and synced) are stored off the socket's thread, which has others to answer.
            let prepared = fds.isEmpty
                ? ControlRequests.prepare(operation, user: user, fds: [], evidence: evidence)
                : await BlockingWork.run { ControlRequests.prepare(operation, user: user, fds: fds, evidence: evidence) }
            for f in fds { close(f) }
            let answer = await ControlRequests.respond(to: prepared, user: user, actor: actor, desk: desk, evidence: evidence, web: web)
            self.answer(c, (ControlProtocol.reply(id: id, answer.map(\.result)), try? answer.get().fd))
        }
        return nil
    }
}

/// One client of the control socket, confined to the socket's thread.
private final class Connection: @unchecked Sendable {
    let fd: Int32
    /// Who the kernel says is on the other end.
    let user: String
    /// Bytes received and not yet a whole request.
    var input: [UInt8] = []
    /// How far `input` has been searched for a newline.
    var scanned = 0
    /// Descriptors passed with the bytes (evidence files), each with the offset in `input` of the byte it came
    /// with: a line takes the ones that came within it.
    var passed: [(at: Int, fd: Int32)] = []
    /// The reply not yet written, and a descriptor to pass with its first byte.
    var output: [UInt8] = []
    var outputFDs: [Int32] = []
    /// A request is being decided; the next waits for its reply.
    var busy = false
    /// The client has shut its side: answer what came, then close.
    var atEnd = false
    /// Reading stopped with bytes still in the socket (a request line's worth was waiting).
    var moreToRead = false
    var hangUpAfterReply = false
    var watchingWritable = false
    var closed = false
    var lastActive = ContinuousClock.now

    init(fd: Int32, user: String) {
        self.fd = fd
        self.user = user
    }

    func nextNewline() -> Int? {
        guard let nl = input[scanned...].firstIndex(of: 0x0A) else {
            scanned = input.count
            return nil
        }
        return nl
    }
}

/// Runs the control socket for the service group's lifetime.
public struct ControlSocketService: Service {
    let socket: ControlSocket

    public init(socket: ControlSocket) { self.socket = socket }

    public func run() async throws {
        try socket.start()
        try? await gracefulShutdown()
        socket.stop()
    }
}
