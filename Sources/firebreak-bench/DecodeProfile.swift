import ArgumentParser
import Crypto
import FirebreakCore
import FirebreakJournal
import Foundation

/// Where replay and verify spend their time, per line, on one core; for tuning the reader.
struct DecodeProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-profile",
        abstract: "Time the per-line costs of reading a segment: SHA-256, JSON parsing, and the whole decode."
    )

    @Argument(help: "A segment file (NNNNNNNN.jsonl).")
    var file: String
    func run() throws {
        let bytes = Array(FileManager.default.contents(atPath: file)!)
        var lines: [Range<Int>] = []
        var s = 0
        for (i, b) in bytes.enumerated() where b == 10 { lines.append(s..<i); s = i + 1 }
        try bytes.withUnsafeBytes { buf in
            func time(_ name: String, _ f: (UnsafeRawBufferPointer) throws -> Void) rethrows {
                let t0 = monotonicNanos()
                for _ in 0..<10 { for r in lines { try f(UnsafeRawBufferPointer(rebasing: buf[r])) } }
                let per = Double(monotonicNanos() - t0) / Double(lines.count * 10)
                print(name, format(per / 1000, 3), "us/line")
            }
            time("sha256") { _ = SHA256.hash(data: $0) }
            try time("json parse") { _ = try JSONParser.parse(buffer: $0) }
            time("decode") { _ = RecordLine.decode($0) }
        }
    }
}
