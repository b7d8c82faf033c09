import Crypto
import ArgumentParser
import FirebreakCore
import FirebreakJournal
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak-bench journal`: durable append throughput and latency against a raw write+fdatasync loop on the
/// same disk, then replay and verify speed over a large journal. One run, one table: compare only figures
/// from the same run, since this kind of disk varies from run to run.
struct JournalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Durable appends/s and p50/p99 with 1, 8 and 64 appenders vs raw write+fdatasync; replay and verify."
    )

    @Option(help: "Seconds per append case (20 or more gets past the disk's burst).")
    var seconds = 20.0

    @Option(help: "Records in the journal replayed and verified.")
    var records = 1_000_000

    @Option(help: "Where to write (on the disk being measured); emptied first.")
    var dir = ".bench/journal"

    @Option(help: "Concurrent appender counts to measure.")
    var appenders: [Int] = [1, 8, 64]

    @Option(help: "Replay and verify passes (the median is reported).")
    var passes = 3

    func run() async throws {
        try emptyDirectory(dir)
        print("firebreak-bench journal: \(format(seconds, 0)) s per append case, \(records) records replayed, in \(dir)")
        print("")
        print(pad("case", 34) + pad("durable/s", 12, right: true) + pad("p50 ms", 10, right: true) + pad("p99 ms", 10, right: true) + pad("vs raw", 9, right: true))
        let raw = try rawBaseline(path: dir + "/raw.jsonl")
        row("raw write+fdatasync, 1 thread", raw, baseline: raw.rate)
        for n in appenders {
            let r = try await appendCase(appenders: n, directory: dir + "/append-\(n)")
            row("journal append, \(n) appender\(n == 1 ? "" : "s")", r, baseline: raw.rate)
        }
        print("")
        let big = dir + "/replay"
        let (bytes, buildSeconds) = try buildJournal(directory: big, records: records)
        print("built \(records) records, \(format(Double(bytes) / 1e6, 1)) MB, in \(format(buildSeconds, 1)) s (\(Int(Double(records) / buildSeconds)) records/s in batches of 5,000)")
        var replayRates: [Double] = []
        var verifyRates: [Double] = []
        var replaySeconds: [Double] = []
        for _ in 0..<passes {
            var seen = 0
            let t0 = monotonicNanos()
            let scan = try JournalReader.scan(directory: big) { record in
                if record.data["n"] != nil { seen += 1 }
            }
            let t1 = monotonicNanos()
            precondition(scan.problem == nil && seen == records, "replay read \(seen) of \(records)")
            let s = Double(t1 - t0) / 1e9
            replaySeconds.append(s)
            replayRates.append(Double(records) / s)
            let t2 = monotonicNanos()
            let report = try JournalVerifier.verify(directory: big)
            let t3 = monotonicNanos()
            precondition(report.intact)
            verifyRates.append(Double(bytes) / 1e6 / (Double(t3 - t2) / 1e9))
        }
        print("replay  \(records) records: median \(format(median(replaySeconds), 2)) s, \(Int(median(replayRates))) records/s (\(passes) passes)")
        print("verify  \(format(Double(bytes) / 1e6, 1)) MB: median \(format(median(verifyRates), 1)) MB/s (\(passes) passes)")
        // Baseline for verify: reading the same segments and one SHA-256 over each line, on one core, the least
        // any checker must do (verify also parses each line, checks seq and prev, on both cores).
        var hashRates: [Double] = []
        for _ in 0..<passes {
            let t0 = monotonicNanos()
            var lines = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: big).sorted() where name.hasSuffix(".jsonl") {
                let data = try Data(contentsOf: URL(fileURLWithPath: big + "/" + name))
                data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
                    var start = 0
                    while start < buf.count {
                        guard let nl = memchr(buf.baseAddress! + start, 0x0A, buf.count - start) else { break }
                        let end = UnsafeRawPointer(nl) - UnsafeRawPointer(buf.baseAddress!)
                        _ = SHA256.hash(data: UnsafeRawBufferPointer(rebasing: buf[start..<end]))
                        lines += 1
                        start = end + 1
                    }
                }
            }
            precondition(lines >= records)
            hashRates.append(Double(bytes) / 1e6 / (Double(monotonicNanos() - t0) / 1e9))
        }
        print("baseline: read + SHA-256 per line, 1 core: median \(format(median(hashRates), 1)) MB/s (verify is \(format(median(verifyRates) / median(hashRates), 2))x of it)")
        try? FileManager.default.removeItem(atPath: dir)
    }

    struct CaseResult {
        let rate: Double
        let p50: UInt64
        let p99: UInt64
    }

    func row(_ name: String, _ r: CaseResult, baseline: Double) {
        print(pad(name, 34) + pad(String(Int(r.rate)), 12, right: true) + pad(ms(r.p50), 10, right: true)
              + pad(ms(r.p99), 10, right: true) + pad(format(r.rate / baseline, 2) + "x", 9, right: true))
    }

    /// The limit per sync: one small line written and fdatasync'd at a time, no batching.
    func rawBaseline(path: String) throws -> CaseResult {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw ValidationError("cannot open \(path)") }
        defer { close(fd) }
        let line = Array((#"{"seq":1,"time":"2026-11-22T00:00:00.000Z","type":"bench.raw","actor":"raw","data":{"n":1,"note":"raw write and fdatasync baseline"},"prev":""# + String(repeating: "0", count: 64) + #"","hash":""# + String(repeating: "0", count: 64) + "\"}\n").utf8)
        var latencies: [UInt64] = []
        let start = monotonicNanos()
        let end = start + UInt64(seconds * 1e9)
        var now = start
        while now < end {
            let t0 = now
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            guard n == line.count, fdatasync(fd) == 0 else { throw ValidationError("raw write or fdatasync failed: errno \(errno)") }
            now = monotonicNanos()
            latencies.append(now - t0)
        }
        return CaseResult(rate: Double(latencies.count) / (Double(now - start) / 1e9),
                          p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99))
    }

    func appendCase(appenders: Int, directory: String) async throws -> CaseResult {
        let journal = try Journal.open(directory: directory)
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        let start = monotonicNanos()
        let all = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for writer in 0..<appenders {
                group.addTask {
                    var latencies: [UInt64] = []
                    latencies.reserveCapacity(100_000)
                    var n: Int64 = 0
                    while true {
                        let t0 = monotonicNanos()
                        if t0 >= deadline { break }
                        n += 1
                        _ = try await journal.append(JournalEntry(
                            time: JournalOptions.systemClock(), type: "bench.append", actor: "writer-\(writer)",
                            data: ["writer": .int(Int64(writer)), "n": .int(n), "note": "durable append benchmark"]))
                        latencies.append(monotonicNanos() - t0)
                    }
                    return latencies
                }
            }
            var merged: [UInt64] = []
            for try await part in group { merged.append(contentsOf: part) }
            return merged
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        try await journal.close()
        return CaseResult(rate: Double(all.count) / elapsed, p50: quantile(all, 0.5), p99: quantile(all, 0.99))
    }

    /// A journal of `records` realistic records (about the size of a report record), written in big batches.
    func buildJournal(directory: String, records: Int) throws -> (bytes: Int, seconds: Double) {
        let journal = try Journal.open(directory: directory)
        let t0 = monotonicNanos()
        var written = 0
        let base = JournalOptions.systemClock()
        while written < records {
            let batch = min(5_000, records - written)
            var entries: [JournalEntry] = []
            entries.reserveCapacity(batch)
            for i in 0..<batch {
                let n = written + i
                entries.append(JournalEntry(
                    time: base.adding(milliseconds: Int64(n)), type: "report.received", actor: "employee-\(n % 500)",
                    data: ["incident": .string("INC-\(n / 3)"), "n": .int(Int64(n)),
                           "url": .string("https://x.com/someone/status/\(1_800_000_000_000 + n)"),
                           "category": "confidential-information", "note": "figures from the Q3 board pack"]))
            }
            _ = try journal.appendNow(entries)
            written += batch
        }
        try journal.closeNow()
        let seconds = Double(monotonicNanos() - t0) / 1e9
        var bytes = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".jsonl") {
            bytes += (try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? 0
        }
        return (bytes, seconds)
    }
}
