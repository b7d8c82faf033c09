import ArgumentParser
import FirebreakCore
import FirebreakUnix
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak-bench daemon`: durable reports per second through the control socket, end to end, with 1, 16 and
/// 64 concurrent clients, against a firebreakd it starts from the same build (release: build with -c release).
struct DaemonBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Reports/s and p50/p99 over the control socket with 1, 16 and 64 clients (each reply is after fdatasync)."
    )

    @Option(help: "Seconds per case.") var seconds = 20.0
    @Option(help: "Concurrent clients to measure.") var clients: [Int] = [1, 16, 64]
    @Option(help: "Scratch directory (on the disk to measure); emptied first.") var dir = ".bench/daemon"
    @Option(help: "Rounds per case, the daemon and PostgreSQL taking turns (seconds/rounds each turn, rounded to whole seconds).") var rounds = 4
    @Option(help: "The daemon's snapshot_every (default: the daemon's own).") var snapshotEvery: Int?
    @Flag(inversion: .prefixedNo, help: "Measure PostgreSQL (Debian's package, started here) at the same concurrency as the baseline.")
    var postgres = true

    func run() throws {
        let exe = BenchDaemon.executable
        try emptyDirectory(dir)
        let pg = postgres ? try PostgresBaseline.start(in: dir + "/postgres") : nil
        defer { pg?.stop() }
        print("firebreak-bench daemon: \(format(slice * Double(rounds), 0)) s per case in \(rounds) turns of \(format(slice, 0)) s each, \(exe)" + (pg.map { "; baseline PostgreSQL \($0.bin), synchronous_commit=on, pgbench" } ?? ""))
        print(pad("clients", 10) + pad("reports/s", 12, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true)
              + (pg == nil ? "" : pad("PostgreSQL/s", 14, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true) + pad("ratio", 8, right: true)))
        for n in clients {
            let state = dir + "/state-\(n)"
            let socket = dir + "/fb-\(n).sock"
            let daemon = try BenchDaemon.start(state: state, socket: socket, extra: snapshotEvery.map { ["--snapshot-every", "\($0)"] } ?? [])
            // Rounds alternate the daemon and PostgreSQL, so both see the same stretches of the disk: a small
            // fdatasync here has cost 0.2 ms in one minute and 4 ms in the next, which one 20 s case each made
            // into ratios anywhere from 0.5x to 1.8x for the same two builds.
            var all: [UInt64] = [], pgAll: [UInt64] = []
            var ratios: [Double] = []
            for round in 0..<rounds {
                let ours = Self.ingest(clients: n, seconds: slice, socket: socket, first: round * 100_000_000)
                all += ours
                if let pg {
                    let (pgRate, pgLatencies) = try pg.ingest(clients: n, seconds: slice, in: dir + "/postgres")
                    pgAll += pgLatencies
                    ratios.append(Double(ours.count) / slice / max(pgRate, 1))
                }
            }
            daemon.stop()
            let rate = Double(all.count) / (slice * Double(rounds))
            var line = pad("\(n)", 10) + pad(String(Int(rate)), 12, right: true)
                + pad(ms(quantile(all, 0.5)), 10, right: true) + pad(ms(quantile(all, 0.99)), 10, right: true)
            if pg != nil {
                let pgRate = Double(pgAll.count) / (slice * Double(rounds))
                line += pad(String(Int(pgRate)), 14, right: true) + pad(ms(quantile(pgAll, 0.5)), 10, right: true)
                    + pad(ms(quantile(pgAll, 0.99)), 10, right: true) + pad(format(rate / max(pgRate, 1), 2) + "x", 8, right: true)
                    + "   rounds " + ratios.map { format($0, 2) + "x" }.joined(separator: " ")
            }
            print(line)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Seconds of each turn: pgbench -T counts whole seconds.
    private var slice: Double { (seconds / Double(max(rounds, 1))).rounded() }

    func validate() throws {
        guard rounds >= 1, slice >= 1 else { throw ValidationError("--seconds / --rounds must be at least 1 s (pgbench counts whole seconds)") }
    }

    /// Latencies (ns) of the reports `clients` threads made durable in `seconds`, each waiting for its reply
    /// before the next; `first` keeps request ids apart from earlier rounds'.
    static func ingest(clients n: Int, seconds: Double, socket: String, first: Int) -> [UInt64] {
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        let results = Results()
        let group = DispatchGroup()
        for c in 0..<n {
            group.enter()
            Thread {
                var latencies: [UInt64] = []
                let fd = connectTo(socket)
                var k = first
                // The request's bytes are built without a String per report, and the reply is searched as bytes:
                // pgbench, PostgreSQL's side, is a C client, and these client threads share the two cores with the
                // daemon.
                let head = Array(#"{"v":1,"id":"#.utf8), middle = Array(#","op":"report","args":{"report":{"url":"https://x.com/b\#(c)/status/"#.utf8)
                let tail = Array(#"","category":"negative-viral"}}}"#.utf8) + [0x0A]
                var line: [UInt8] = []
                line.reserveCapacity(200)
                var reply = Reply()
                while monotonicNanos() < deadline && fd >= 0 {
                    k += 1
                    line.removeAll(keepingCapacity: true)
                    line += head
                    appendDecimal(k, to: &line)
                    line += middle
                    appendDecimal(k % 500, to: &line)
                    line += tail
                    let t0 = monotonicNanos()
                    guard reply.exchange(fd, line) else { break }
                    latencies.append(monotonicNanos() - t0)
                }
                if fd >= 0 { close(fd) }
                results.add(latencies)
                group.leave()
            }.start()
        }
        group.wait()
        return results.all
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [UInt64] = []
    func add(_ v: [UInt64]) { lock.lock(); values += v; lock.unlock() }
    var all: [UInt64] { lock.lock(); defer { lock.unlock() }; return values }
}

private func connectTo(_ path: String) -> Int32 { UnixSocket.connected(to: path) }

private func appendDecimal(_ n: Int, to bytes: inout [UInt8]) {
    if n >= 10 { appendDecimal(n / 10, to: &bytes) }
    bytes.append(UInt8(48 + n % 10))
}

/// One client's reply buffer, kept between requests.
private struct Reply {
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private static let ok = Array(#""ok":true"#.utf8)

    /// Sends one request line and reads one reply line; false if the reply is not ok.
    mutating func exchange(_ fd: Int32, _ line: [UInt8]) -> Bool {
        guard line.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == line.count else { return false }
        var count = 0
        while !buffer[0..<count].contains(0x0A) {
            // Wait in poll for input only: a thread asleep in read() on a Unix socket is also woken when the daemon
            // takes the request (the sent bytes are freed, and the kernel wakes the socket's waiters "writable"),
            // which doubled the client's context switches and took CPU from the daemon on the same two cores.
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&p, 1, -1) < 0 && errno == EINTR {}
            if count == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n <= 0 { return false }
            count += n
        }
        // One reply a request, so the line read is this request's whole reply.
        return buffer[0..<count].firstRange(of: Self.ok) != nil
    }
}
