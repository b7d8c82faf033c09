import FirebreakCore
@testable import FirebreakJournal
import FirebreakUnix
import Foundation
import Synchronization
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The control socket and the command line, for real: the daemon's socket, `firebreak` run as two real Unix
/// users with different roles, a refused action, replies only after the records are durable, and socket
/// activation through systemd-socket-activate.
@Suite(.serialized) struct SocketTests {
    let daemon = productPath("firebreakd")
    let firebreak = productPath("firebreak")
    let harness = DaemonHarness()
    @Test(.enabled(if: DaemonHarness.usersReady, "needs root and useradd to create the test users"))
    func twoRealUsersWithDifferentRolesAndARefusedAction() throws {
        let dir = TempDir("socket")
        chmod(dir.path, 0o755)
        let (d, _) = try harness.startDaemon(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }

        let who = try harness.cli(["whoami"], as: DaemonHarness.reporterUser, socket: d.socket)
        #expect(who.stdout.contains("\(DaemonHarness.reporterUser) is \(DaemonHarness.reporterUser), a reporter"), "\(who.stdout)\(who.stderr)")
        let report = try harness.cli(["report", "https://twitter.com/someone/status/42?utm_source=share", "--category", "harassment",
                              "--text", "a post about Sam", "--json"], as: DaemonHarness.reporterUser, socket: d.socket)
        #expect(report.status == 0, "\(report.stderr)")
        let result = try JSONParser.parse(report.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(result["incident"] == "INC-1" && result["opened"] == true && result["playbook"] == "harassment")
        // Durable before the reply: the records are in the journal already.
        var types: [String] = []
        _ = try JournalReader.scan(directory: d.state + "/journal") { types.append($0.type) }
        #expect(types.contains(EventType.reportReceived) && types.contains(EventType.incidentOpened))

        let refused = try harness.cli(["ack", "INC-1"], as: DaemonHarness.reporterUser, socket: d.socket)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("only responders (people in a roster role) and managers may ack; \(DaemonHarness.reporterUser) is a reporter"))

        let ack = try harness.cli(["ack", "INC-1"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(ack.status == 0 && ack.stdout.contains("acknowledged INC-1"), "\(ack.stdout)\(ack.stderr)")
        let show = try harness.cli(["show", "INC-1", "--json"], as: DaemonHarness.responderUser, socket: d.socket)
        let view = try JSONParser.parse(show.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(view["status"] == "acknowledged" && view["reporter_ids"] == nil, "responders never see who reported")
        let done = try harness.cli(["done", "INC-1", "preserve-evidence", "--note", "saved"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(done.status == 0 && done.stdout.contains("now ready: platform-report"), "\(done.stdout)\(done.stderr)")

        // Someone who reported nothing sees nothing.
        let mine = try harness.cli(["incidents"], socket: d.socket)
        #expect(mine.stdout.contains("no incidents"), "\(mine.stdout)")

        #expect(d.stop() == 0)
        var records: [JournalRecord] = []
        _ = try JournalReader.scan(directory: d.state + "/journal") { records.append($0) }
        #expect(records.first { $0.type == EventType.reportReceived }?.actor == DaemonHarness.reporterUser)
        #expect(records.first { $0.type == EventType.incidentAcknowledged }?.actor == "amira")
        #expect(records.first { $0.type == EventType.stepDone }?.data["note"] == "saved")
    }

    /// Sends raw bytes on a fresh connection and returns what came back.
    static func raw(_ socket: String, _ bytes: [UInt8], timeoutSeconds: Int = 10) -> String {
        let fd = UnixSocket.connected(to: socket)
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !out.contains(0x0A) {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func badRequestsGetAnErrorReplyAndNeverHarmTheDaemon() throws {
        let dir = TempDir("socket-bad")
        let (d, _) = try harness.startDaemon(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        #expect(Self.raw(d.socket, Array("this is not json\n".utf8)).contains("\"code\":\"bad-request\""))
        #expect(Self.raw(d.socket, Array("{\"v\":2,\"op\":\"whoami\"}\n".utf8)).contains("\"code\":\"bad-version\""))
        #expect(Self.raw(d.socket, Array("{\"v\":1,\"op\":\"launch\"}\n".utf8)).contains("\"code\":\"unknown-op\""))
        #expect(Self.raw(d.socket, Array("{\"v\":1,\"op\":\"report\",\"args\":{\"report\":{\"url\":\"https://x.com/a\",\"reporter\":\"ceo\"}}}\n".utf8))
            .contains("report reporter: is not a report field"))
        #expect(Self.raw(d.socket, [0xFF, 0xFE, 0x0A]).contains("bad-request"))
        let huge = [UInt8](repeating: UInt8(ascii: "a"), count: (1 << 20) + 10) + [0x0A]
        #expect(Self.raw(d.socket, huge).contains("\"code\":\"too-large\""))
        // A client that connects and sends half a request, then another that works meanwhile.
        let halfFD = UnixSocket.connected(to: d.socket)
        _ = "{\"v\":1,\"op\":".withCString { send(halfFD, $0, 12, Int32(MSG_NOSIGNAL)) }
        let ok = try harness.cli(["report", "https://x.com/b/status/1", "--category", "other"], socket: d.socket)
        #expect(ok.status == 0 && ok.stdout.contains("opened INC-1"), "\(ok.stdout)\(ok.stderr)")
        close(halfFD)
        #expect(d.stop() == 0)
    }

    /// Requests sent back to back in one write are each answered, in the order they came: replies are written by
    /// the desk's thread, and the next request is taken only once the last one's reply is out.
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let dir = TempDir("socket-pipeline")
        let (d, _) = try harness.startDaemon(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let fd = UnixSocket.connected(to: d.socket)
        defer { close(fd) }
        var burst: [UInt8] = []
        for i in 1...60 {
            let line = i % 3 == 0 ? #"{"v":1,"id":\#(i),"op":"whoami"}"#
                : i % 3 == 1 ? #"{"v":1,"id":\#(i),"op":"report","args":{"report":{"url":"https://x.com/p/status/\#(i)","category":"other"}}}"#
                : #"not json \#(i)"#
            burst += Array(line.utf8) + [0x0A]
        }
        #expect(UnixSocket.sendAll(fd, burst))
        let replies = Self.readLines(fd, count: 60)
        #expect(replies.count == 60)
        for (i, reply) in replies.enumerated() {
            let n = i + 1
            let answer = try JSONParser.parse(reply)
            if n % 3 == 2 {
                #expect(answer["ok"] == false && answer["error"]?["code"] == "bad-request", "\(reply)")
            } else {
                #expect(answer["ok"] == true && answer["id"] == .int(Int64(n)), "reply \(n): \(reply)")
            }
            if n % 3 == 1 { #expect(answer["result"]?["incident"] == .string("INC-\((n + 2) / 3)"), "\(reply)") }
        }
        #expect(d.stop() == 0)
    }

    /// A client that sends thousands of requests and reads none of the replies fills its socket; the daemon
    /// keeps the rest for later instead of waiting on it, so another client is answered meanwhile, and the first
    /// still gets every reply, in order, once it reads.
    @Test func aClientThatReadsNothingHoldsUpNobody() throws {
        let dir = TempDir("socket-stuck")
        let (d, _) = try harness.startDaemon(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let stuck = UnixSocket.connected(to: d.socket)
        defer { close(stuck) }
        let count = 20_000
        var burst: [UInt8] = []
        for i in 1...count { burst += Array(#"{"v":1,"id":\#(i),"op":"whoami"}"#.utf8) + [0x0A] }
        // Sent from a thread of its own: once both sockets' buffers are full its send blocks until we read.
        let bytes = burst
        let sent = Atomic<Bool>(false)
        let sender = Thread { _ = UnixSocket.sendAll(stuck, bytes); sent.store(true, ordering: .releasing) }
        sender.start()
        // Until the sender is blocked (the buffers are full: the socket takes no more) or has handed the daemon
        // its whole burst.
        #expect(waitUntil {
            var p = pollfd(fd: stuck, events: Int16(POLLOUT), revents: 0)
            return poll(&p, 1, 0) == 0 || sent.load(ordering: .acquiring)
        })
        let other = try harness.cli(["report", "https://x.com/q/status/1", "--category", "other"], socket: d.socket)
        #expect(other.status == 0 && other.stdout.contains("opened INC-1"), "\(other.stdout)\(other.stderr)")
        let replies = Self.readLines(stuck, count: count)
        #expect(replies.count == count)
        #expect(replies.first.map { (try? JSONParser.parse($0))?["id"] == 1 } == true)
        #expect(replies.last.map { (try? JSONParser.parse($0))?["id"] == .int(Int64(count)) } == true)
        #expect(d.stop() == 0)
    }

    /// Out of descriptors (a limit of 64, and more clients than fit): the daemon stops accepting instead of
    /// spinning on a listener it cannot take from, goes on answering the clients it has, and accepts again once
    /// a client has gone (at once, or at the sweep within five seconds).
    @Test func runningOutOfDescriptorsPausesAcceptingAndServingGoesOn() throws {
        let dir = TempDir("socket-emfile")
        let (d, _) = try harness.startDaemon(dir, wrapper: ["/usr/bin/prlimit", "--nofile=64:64", "--"])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let whoami = Array(#"{"v":1,"op":"whoami"}"#.utf8) + [0x0A]
        var clients: [Int32] = []
        for _ in 0..<80 { clients.append(UnixSocket.connected(to: d.socket)) }
        #expect(clients.allSatisfy { $0 >= 0 }, "the kernel queues what the daemon cannot take yet")
        // The first client was accepted: it is answered while others wait.
        #expect(UnixSocket.sendAll(clients[0], whoami))
        #expect(Self.readLines(clients[0], count: 1).first?.contains("\"ok\":true") == true)
        let log = String(decoding: readBytes(d.log), as: UTF8.self)
        #expect(log.contains("cannot accept (Too many open files)"), "\(log)")
        // Paused, not spinning: under a tenth of a core while clients wait.
        func cpuTicks() -> Int {
            let fields = String(decoding: readBytes("/proc/\(d.process.processIdentifier)/stat"), as: UTF8.self)
                .split(separator: ")").last?.split(separator: " ") ?? []
            return fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
        }
        let before = cpuTicks()
        usleep(1_000_000)
        #expect(cpuTicks() - before < 10, "\(cpuTicks() - before) ticks in a second")
        for c in clients { close(c) }
        // Once they are gone, a new client is taken (after the sweep) and answered.
        let late = UnixSocket.connected(to: d.socket)
        defer { close(late) }
        #expect(UnixSocket.sendAll(late, whoami))
        #expect(Self.readLines(late, count: 1).first?.contains("\"ok\":true") == true)
        #expect(d.process.isRunning)
        #expect(d.stop() == 0)
    }

    /// Reads `count` reply lines (or what comes before the stream ends or goes quiet for 20 s).
    static func readLines(_ fd: Int32, count: Int) -> [String] {
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var lines: [String] = []
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while lines.count < count {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            var start = 0
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                lines.append(String(decoding: pending[start..<nl], as: UTF8.self))
                start = nl + 1
            }
            pending.removeFirst(start)
        }
        return lines
    }

    static let socketActivate = ["/usr/bin/systemd-socket-activate", "/lib/systemd/systemd-socket-activate"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: socketActivate != nil, "needs systemd-socket-activate"))
    func startsUnderSocketActivation() throws {
        let dir = TempDir("socket-activate")
        let socket = dir.sub("activated.sock")
        // systemd-socket-activate listens, and starts the daemon at the first connection, handing it the socket.
        let (d, notify) = try harness.startDaemon(dir, wrapper: [Self.socketActivate!, "-l", socket, "-E", "NOTIFY_SOCKET"], waitForReady: false)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        // The socket file appears at bind, a moment before systemd-socket-activate listens: wait until a
        // connection is taken (that first connection starts the daemon, which reads it closed and goes on).
        #expect(waitUntil(timeout: 10) {
            let probe = UnixSocket.connected(to: socket)
            if probe >= 0 { close(probe) }
            return probe >= 0
        })
        // It answers once the report is durable, after a start that may take seconds on a loaded machine. (Spoken
        // in-process: a child process started while systemd-socket-activate is our child is not reaped reliably
        // by Foundation.)
        let reply = Self.raw(socket, Array(#"{"v":1,"id":7,"op":"report","args":{"report":{"url":"https://x.com/c/status/1","category":"impersonation"}}}"#.utf8) + [0x0A],
                             timeoutSeconds: 60)
        let answer = try JSONParser.parse(reply.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(answer["ok"] == true && answer["id"] == 7 && answer["result"]?["incident"] == "INC-1", "\(reply)")
        #expect(notify.receive(containing: "READY=1") != nil)
        // The daemon's own --socket path is not bound: it uses the socket it was passed.
        #expect(!FileManager.default.fileExists(atPath: d.socket))
        #expect(String(decoding: readBytes(d.log), as: UTF8.self).contains("socket activation"))
        #expect(d.stop() == 0)
    }
}
