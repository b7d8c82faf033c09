import FirebreakCore
import FirebreakJournal
import FirebreakUnix
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real daemon, started as its tests and the command line's tests start it: the shipped playbooks, the
/// example roster with a test user, a stand-in for systemd's notify socket, and `firebreak` run as a real Unix
/// user over the daemon's socket.
struct DaemonHarness {
    /// A start that did not get as far as the test needs, with the daemon's log.
    struct HarnessError: Error, CustomStringConvertible {
        let description: String
    }

    let daemon = productPath("firebreakd")
    let firebreak = productPath("firebreak")
    static let reporterUser = "fbtest-kim"
    static let responderUser = "fbtest-amira"

    /// Test users exist (created here when absent; needs root and useradd).
    static let usersReady: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd") else { return false }
        for user in [reporterUser, responderUser] where getpwnam(user) == nil {
            let r = try? run("/usr/sbin/useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", user])
            if r?.status != 0 { return false }
        }
        return true
    }()

    /// The example roster with Amira's account renamed to the test user.
    static func roster(in dir: TempDir) throws -> String {
        let text = try String(contentsOfFile: TestPaths.repoRoot + "/Playbooks/roster.example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "unix_user: amira", with: "unix_user: \(responderUser)")
        let path = dir.sub("roster.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Running {
        let process: Process
        let socket: String
        let state: String
        let log: String

        func stop() -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    func startDaemon(_ dir: TempDir, arguments extra: [String] = [], wrapper: [String] = [], waitForReady: Bool = true) throws -> (Running, NotifySocket) {
        let state = dir.sub("state"), socket = dir.sub("fb.sock"), log = dir.sub("log")
        let notify = NotifySocket(path: dir.sub("notify.sock"))
        let args = ["--state-dir", state, "--spool-dir", state + "/spool", "--socket", socket, "--playbooks", TestPaths.repoRoot + "/Playbooks", "--roster", try Self.roster(in: dir)] + extra
        let process = try launch(daemon, args, env: ["NOTIFY_SOCKET": notify.path], wrapper: wrapper, log: log)
        if waitForReady {
            guard notify.receive(containing: "READY=1") != nil else {
                kill(process.processIdentifier, SIGKILL)
                throw HarnessError(description: "the daemon never said READY=1:\n\(String(decoding: readBytes(log), as: UTF8.self))")
            }
        }
        return (Running(process: process, socket: socket, state: state, log: log), notify)
    }

    /// `firebreak` run as `user` (runuser), or as ourselves.
    func cli(_ args: [String], as user: String? = nil, socket: String) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["FIREBREAK_SOCKET"] = socket
        if let user { return try run("/usr/sbin/runuser", ["-u", user, "--", firebreak] + args, environment: env) }
        return try run(firebreak, args, environment: env)
    }

}

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    let fd: Int32

    init(path: String) {
        self.path = path
        unlink(path)  // a daemon restarted in the same test gets a fresh socket at the same path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let ok = UnixSocket.bind(fd, to: path)
        precondition(ok == 0, "bind \(path): errno \(errno)")
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd); unlink(path) }

    /// Datagrams passed over while looking for another, oldest first: the services start together, so a
    /// STATUS may come before the READY a test waits for, and a later look for that STATUS must find it.
    private var passedOver: [String] = []

    /// The first datagram containing `text`, among those passed over so far or those still to come (others,
    /// such as STATUS updates, are kept for a later look).
    func receive(containing text: String) -> String? {
        if let i = passedOver.firstIndex(where: { $0.contains(text) }) { return passedOver.remove(at: i) }
        while let d = receive() {
            if d.contains(text) { return d }
            passedOver.append(d)
        }
        return nil
    }

    /// The next datagram, or nil after the 20 s timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}

