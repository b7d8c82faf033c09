import Dispatch
import FirebreakCore
import FirebreakSystemd
import FirebreakUnix
import Foundation
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// The control socket: a Unix stream socket, passed by systemd (socket activation) or bound by the daemon when
/// started by hand. Plain system calls on threads of its own, because SO_PEERCRED (who the caller is) is a
/// system call NIO does not expose, and blocking reads must not hold the cooperative pool's threads.
public final class ControlSocket: @unchecked Sendable {
    let listenFD: Int32
    let path: String?
    let desk: Desk
    let evidence: EvidenceStore
    let web: WebSessions?
    let logger: Logger
    private let lock = NSLock()
    private var stopped = false
    private var clients: Set<Int32> = []

    init(listenFD: Int32, path: String?, desk: Desk, evidence: EvidenceStore, web: WebSessions?, logger: Logger) {
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
            // Accept blocks on its own thread: a passed socket may come non-blocking.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            logger.info("control socket passed by systemd (socket activation)")
            return ControlSocket(listenFD: fd, path: nil, desk: desk, evidence: evidence, web: web, logger: logger)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        guard UnixSocket.address(path) != nil else { throw StartupProblem(description: "socket path \(path) is too long") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StartupProblem(description: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var rc = UnixSocket.bind(fd, to: path)
        if rc != 0 && errno == EADDRINUSE {
            // In use, or a file left behind by a crash? Only a live listener accepts a connection.
            let probe = UnixSocket.connected(to: path)
            if probe >= 0 { close(probe); close(fd); throw StartupProblem(description: "another daemon is listening on \(path)") }
            unlink(path)
            rc = UnixSocket.bind(fd, to: path)
        }
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw StartupProblem(description: "cannot bind the control socket \(path): \(why)")
        }
        // Anyone on the host may connect: what they may do is decided by who they are (SO_PEERCRED and the roster).
        chmod(path, 0o666)
        guard listen(fd, 128) == 0 else { close(fd); throw StartupProblem(description: "cannot listen on \(path): \(String(cString: strerror(errno)))") }
        return ControlSocket(listenFD: fd, path: path, desk: desk, evidence: evidence, web: web, logger: logger)
    }

    func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "control-accept"
        thread.start()
    }

    func stop() {
        lock.lock()
        stopped = true
        let open = clients
        lock.unlock()
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        for c in open { shutdown(c, Int32(SHUT_RDWR)) }
        if let path { unlink(path) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                lock.lock(); let done = stopped; lock.unlock()
                if !done { logger.error("control socket accept failed: \(String(cString: strerror(errno)))") }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            lock.lock()
            if stopped { lock.unlock(); close(client); return }
            clients.insert(client)
            lock.unlock()
            let thread = Thread { [self] in
                serve(client)
                lock.lock(); clients.remove(client); lock.unlock()
                close(client)
            }
            thread.name = "control-client"
            thread.start()
        }
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

    private func serve(_ fd: Int32) {
        guard let (_, user) = Self.peer(fd) else { return }
        var timeout = timeval(tv_sec: 300, tv_usec: 0)  // an idle client is dropped after five minutes
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        // Descriptors passed with the bytes (evidence files), each with the offset in `buffer` of the byte it
        // came with: a line takes the ones that came within it.
        var passed: [(at: Int, fd: Int32)] = []
        defer { for p in passed { close(p.fd) } }
        let tooLarge = ControlProtocol.failure(id: .null, code: "too-large", message: "a request line is limited to \(ControlProtocol.maxLine) bytes")
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                if nl > ControlProtocol.maxLine {
                    _ = write(fd, tooLarge)
                    return
                }
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                let mine = passed.filter { $0.at <= nl }.map(\.fd)
                passed = passed.filter { $0.at > nl }.map { (at: $0.at - nl - 1, fd: $0.fd) }
                let (reply, outgoing) = handle(line, user: user, fds: mine)
                for f in mine { close(f) }
                let sent = write(fd, reply, fds: outgoing.map { [$0] } ?? [])
                if let outgoing { close(outgoing) }
                guard sent else { return }
                continue
            }
            if buffer.count > ControlProtocol.maxLine {
                _ = write(fd, tooLarge)
                return
            }
            let r = UnixSocket.receive(fd, into: &chunk)
            for f in r.fds { passed.append((at: buffer.count, fd: f)) }
            if r.truncated || passed.count > UnixSocket.maxFDs {
                _ = write(fd, ControlProtocol.failure(id: .null, code: "too-many-files", message: "at most \(Report.maxEvidence) files go with one request"))
                return
            }
            if r.count <= 0 { return }
            buffer.append(contentsOf: chunk[0..<r.count])
        }
    }

    private func write(_ fd: Int32, _ value: JSONValue, fds: [Int32] = []) -> Bool {
        var out: [UInt8] = []
        JSONWriter.write(value, into: &out)
        out.append(0x0A)
        return UnixSocket.sendAll(fd, out, fds: fds)
    }

    /// One request: parsed, run against the desk (blocking this client's thread, not the pool), answered.
    func handle(_ line: [UInt8], user: String, fds: [Int32] = []) -> (JSONValue, Int32?) {
        let request: JSONValue
        do { request = try JSONParser.parse(line) } catch {
            return (ControlProtocol.failure(id: .null, code: "bad-request", message: "not JSON: \(error)"), nil)
        }
        let id = request["id"] ?? .null
        guard request["v"]?.intValue == ControlProtocol.version else {
            return (ControlProtocol.failure(id: id, code: "bad-version", message: "this daemon speaks protocol version \(ControlProtocol.version); send \"v\":1"), nil)
        }
        guard let op = request["op"]?.stringValue else { return (ControlProtocol.failure(id: id, code: "bad-request", message: "\"op\" is missing"), nil) }
        let args = request["args"] ?? .object([:])
        let desk = self.desk, evidence = self.evidence, web = self.web
        let reply: Result<ControlRequests.Answer, ControlRequests.Failure>
        let actor = Actor.from(unixUser: user, roster: desk.roster)
        switch ControlRequests.prepare(op: op, args: args, user: user, fds: fds, actor: actor, evidence: evidence) {
        case .success(.command(let command)):
            // A change: built here, decided and synced on the desk's thread, summed up here again, so the desk's
            // thread does only what must be done in turn.
            let outcome = awaitOnThisThread(preferring: desk.thread) { await ControlRequests.submit(command, by: actor, desk: desk) }
            reply = outcome.map { ControlRequests.Answer(result: ControlRequests.summary(of: $0, actor: actor)) }
        case .success(.query):
            reply = awaitOnThisThread(preferring: desk.thread) { await ControlRequests.query(op: op, args: args, user: user, actor: actor, desk: desk, evidence: evidence, web: web) }
        case .failure(let f):
            reply = .failure(f)
        }
        switch reply {
        case .success(let answer): return (ControlProtocol.reply(id: id, result: answer.result), answer.fd)
        case .failure(let e): return (ControlProtocol.failure(id: id, code: e.code, message: e.message), nil)
        }
    }
}

/// Runs the control socket for the service group's lifetime.
public struct ControlSocketService: Service {
    let socket: ControlSocket

    public init(socket: ControlSocket) { self.socket = socket }

    public func run() async throws {
        socket.start()
        try? await gracefulShutdown()
        socket.stop()
    }
}
