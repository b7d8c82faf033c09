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
    @Option(help: "The daemon's snapshot_every (default: the daemon's own).") var snapshotEvery: Int?
    @Flag(inversion: .prefixedNo, help: "Measure PostgreSQL (Debian's package, started here) at the same concurrency as the baseline.")
    var postgres = true

    func run() throws {
        let exe = BenchDaemon.executable
        try emptyDirectory(dir)
        let pg = postgres ? try PostgresBaseline.start(in: dir + "/postgres") : nil
        defer { pg?.stop() }
        print("firebreak-bench daemon: \(format(seconds, 0)) s per case, \(exe)" + (pg.map { "; baseline PostgreSQL \($0.bin), synchronous_commit=on, pgbench" } ?? ""))
        print(pad("clients", 10) + pad("reports/s", 12, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true)
              + (pg == nil ? "" : pad("PostgreSQL/s", 14, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true) + pad("ratio", 8, right: true)))
        for n in clients {
            let state = dir + "/state-\(n)"
            let socket = dir + "/fb-\(n).sock"
            let daemon = try BenchDaemon.start(state: state, socket: socket, extra: snapshotEvery.map { ["--snapshot-every", "\($0)"] } ?? [])
            let deadline = monotonicNanos() + UInt64(seconds * 1e9)
            let results = Results()
            let group = DispatchGroup()
            for c in 0..<n {
                group.enter()
                Thread {
                    var latencies: [UInt64] = []
                    let fd = connectTo(socket)
                    var k = 0
                    while monotonicNanos() < deadline && fd >= 0 {
                        k += 1
                        let line = #"{"v":1,"id":\#(k),"op":"report","args":{"report":{"url":"https://x.com/b\#(c)/status/\#(k % 500)","category":"negative-viral"}}}"# + "\n"
                        let t0 = monotonicNanos()
                        guard exchange(fd, line) else { break }
                        latencies.append(monotonicNanos() - t0)
                    }
                    if fd >= 0 { close(fd) }
                    results.add(latencies)
                    group.leave()
                }.start()
            }
            group.wait()
            daemon.stop()
            let all = results.all
            let rate = Double(all.count) / seconds
            var line = pad("\(n)", 10) + pad(String(Int(rate)), 12, right: true)
                + pad(ms(quantile(all, 0.5)), 10, right: true) + pad(ms(quantile(all, 0.99)), 10, right: true)
            if let pg {
                let (pgRate, pgLatencies) = try pg.ingest(clients: n, seconds: seconds, in: dir + "/postgres")
                line += pad(String(Int(pgRate)), 14, right: true) + pad(ms(quantile(pgLatencies, 0.5)), 10, right: true)
                    + pad(ms(quantile(pgLatencies, 0.99)), 10, right: true) + pad(format(rate / max(pgRate, 1), 2) + "x", 8, right: true)
            }
            print(line)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [UInt64] = []
    func add(_ v: [UInt64]) { lock.lock(); values += v; lock.unlock() }
    var all: [UInt64] { lock.lock(); defer { lock.unlock() }; return values }
}

private func connectTo(_ path: String) -> Int32 { UnixSocket.connected(to: path) }

/// Sends one request line and reads one reply line; false if the reply is not ok.
private func exchange(_ fd: Int32, _ line: String) -> Bool {
    let bytes = Array(line.utf8)
    guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else { return false }
    var reply: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while !reply.contains(0x0A) {
        // Wait in poll for input only: a thread asleep in read() on a Unix socket is also woken when the daemon
        // takes the request (the sent bytes are freed, and the kernel wakes the socket's waiters "writable"),
        // which doubled the client's context switches and took CPU from the daemon on the same two cores.
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&p, 1, -1) < 0 && errno == EINTR {}
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return false }
        reply.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: reply, as: UTF8.self).contains("\"ok\":true")
}
