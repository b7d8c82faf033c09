import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory, emptied of an earlier run's leftovers.
func emptyDirectory(_ dir: String) throws {
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
}

/// Monotonic nanoseconds: latencies must not jump with the wall clock.
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// The q-quantile (0...1) of unsorted samples, nearest rank.
func quantile(_ samples: [UInt64], _ q: Double) -> UInt64 {
    guard !samples.isEmpty else { return 0 }
    let sorted = samples.sorted()
    let rank = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[rank]
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func ms(_ nanos: UInt64) -> String { format(Double(nanos) / 1e6, 2) }

func format(_ value: Double, _ decimals: Int) -> String {
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (value * p).rounded() / p
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let have = s.distance(from: dot, to: s.endIndex) - 1
        if have < decimals { s += String(repeating: "0", count: decimals - have) }
    } else if decimals > 0 {
        s += "." + String(repeating: "0", count: decimals)
    }
    return s
}

func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}

/// Writes a line to standard output with one `write`, unbuffered: a reader that kills us keeps every line
/// we finished.
func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { buf in
        var done = 0
        while done < buf.count {
            let n = write(1, buf.baseAddress! + done, buf.count - done)
            if n <= 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }
}
