import ArgumentParser
import FirebreakCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak-bench spool`: files renamed into the spool's `new/` against a firebreakd it starts from the same
/// build. A file counts as durable when the daemon moves it to `done/`, which it does only after the report's
/// records are fdatasync'd; the bench watches `done/` with inotify and times each file from its rename.
struct SpoolBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Spool ingest: N files renamed into new/ (all at once, and paced); reports/s and drop-to-durable p50/p99."
    )

    @Option(help: "Files per case.") var files = 10_000
    @Option(help: "Paced case: files per second (0 skips it).") var rate = 1_000
    @Option(help: "Scratch directory (on the disk to measure); emptied first.") var dir = ".bench/spool"

    func run() throws {
        let exe = BenchDaemon.executable
        try emptyDirectory(dir)
        print("firebreak-bench spool: \(files) files per case, \(exe)")
        print(pad("case", 22) + pad("reports/s", 12, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true) + pad("max ms", 10, right: true))
        var cases: [(String, Int)] = [("burst (all at once)", 0)]
        if rate > 0 { cases.append(("paced \(rate)/s", rate)) }
        for (label, pace) in cases {
            let r = try measure(state: dir + "/state-\(pace)", pace: pace)
            print(pad(label, 22) + pad(String(Int(r.rate)), 12, right: true) + pad(ms(quantile(r.latencies, 0.5)), 10, right: true)
                  + pad(ms(quantile(r.latencies, 0.99)), 10, right: true) + pad(ms(r.latencies.max() ?? 0), 10, right: true))
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    func measure(state: String, pace: Int) throws -> (rate: Double, latencies: [UInt64]) {
        let spool = state + "/spool"
        let daemon = try BenchDaemon.start(state: state)
        defer { daemon.stop() }
        // Written beforehand (not timed): the writers' side of the spool.
        let names = (0..<files).map { String(format: "%010d.bench", $0) }
        for (i, name) in names.enumerated() {
            let body = #"{"url":"https://x.com/spool\#(i % 997)/status/\#(i)","category":"negative-viral","text":"bench \#(i)"}"#
            guard FileManager.default.createFile(atPath: spool + "/tmp/" + name, contents: Data(body.utf8)) else {
                throw ValidationError("cannot write \(spool)/tmp/\(name)")
            }
        }
        let inotify = inotify_init1(Int32(IN_CLOEXEC))
        guard inotify >= 0, inotify_add_watch(inotify, spool + "/done", UInt32(IN_MOVED_TO)) >= 0 else {
            throw ValidationError("cannot watch \(spool)/done")
        }
        let done = Arrivals(count: files)
        let watcher = Thread {
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            while done.seen < files {
                let n = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                let now = monotonicNanos()
                var offset = 0
                while offset < n {
                    let len = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
                    let name = String(decoding: buffer[(offset + 16)..<(offset + 16 + len)].prefix { $0 != 0 }, as: UTF8.self)
                    if let i = Int(name.prefix(10)), name.hasSuffix(".bench") { done.arrived(i, at: now) }
                    offset += 16 + len
                }
            }
        }
        watcher.start()
        var dropped = [UInt64](repeating: 0, count: files)
        let start = monotonicNanos()
        for (i, name) in names.enumerated() {
            if pace > 0 {
                let due = start + UInt64(i) * 1_000_000_000 / UInt64(pace)
                while monotonicNanos() < due { usleep(100) }
            }
            dropped[i] = monotonicNanos()
            rename(spool + "/tmp/" + name, spool + "/new/" + name)
        }
        let deadline = monotonicNanos() + 300_000_000_000
        while done.seen < files && monotonicNanos() < deadline { usleep(10_000) }
        close(inotify)
        let arrivals = done.times
        guard done.seen == files else { throw ValidationError("only \(done.seen) of \(files) files reached done/") }
        let last = arrivals.max()!
        return (Double(files) / (Double(last - start) / 1e9), zip(arrivals, dropped).map { $0 - $1 })
    }
}

private final class Arrivals: @unchecked Sendable {
    private let lock = NSLock()
    private var at: [UInt64]
    private var count = 0

    init(count: Int) { at = [UInt64](repeating: 0, count: count) }

    func arrived(_ i: Int, at time: UInt64) {
        lock.lock()
        if i < at.count && at[i] == 0 { at[i] = time; count += 1 }
        lock.unlock()
    }

    var seen: Int { lock.lock(); defer { lock.unlock() }; return count }
    var times: [UInt64] { lock.lock(); defer { lock.unlock() }; return at }
}
