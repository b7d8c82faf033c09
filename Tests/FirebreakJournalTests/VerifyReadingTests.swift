import FirebreakCore
@testable import FirebreakJournal
import FirebreakFuzzing
import Foundation
import Testing
@testable import FirebreakTestSupport

/// Verify reads lines as links (`RecordLine.link`), building no values, and must find exactly what the full
/// reading (`RecordLine.decode`) finds: the same lines accepted, the same flaw named for each refused.
@Suite struct VerifyReadingTests {
    static let prev = #""prev":""# + genesisHash + #"""#

    /// A hand-made line with a `data` member, sealed with a hash that holds, so the bytes reach the parsers.
    static func line(data: String, seq: String = "5", time: String = "2026-11-22T08:00:00.250Z", type: String = "\"report.received\"",
                     actor: String = "\"kim\"") -> [UInt8] {
        RecordLine.sealing(Array((#"{"seq":"# + seq + #","time":""# + time + #"","type":"# + type + #","actor":"# + actor
                                  + #","data":"# + data + "," + prev).utf8))
    }

    /// Both readings of one line, which must agree (the fuzz target's check); returns whether verify's fast
    /// path read it without the full parse.
    @discardableResult
    static func bothReadings(_ line: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> (skimmed: Bool, accepted: Bool) {
        line.withUnsafeBytes { buf in
            let difference = FuzzEntries.readingsDiffer(buf)
            #expect(difference == nil, "\(String(decoding: line, as: UTF8.self))", sourceLocation: sourceLocation)
            let accepted = (try? RecordLine.decode(buf).get()) != nil
            let skimmed = (try? RecordLine.checkHash(buf).get()).flatMap { RecordLine.skim(buf, hash: $0) } != nil
            return (skimmed, accepted)
        }
    }

    @Test func everyLineTheEngineWroteIsReadWithoutTheFullParseAndAlike() throws {
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/engine-v1.jsonl")
        let lines = try String(contentsOf: golden, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
        #expect(lines.count > 50)
        var skimmed = 0
        for line in lines {
            let result = Self.bothReadings(line)
            #expect(result.accepted)
            if result.skimmed { skimmed += 1 }
        }
        let checkpoints = lines.filter { String(decoding: $0, as: UTF8.self).contains(#""type":"journal.checkpoint""#) }.count
        // Every record but the checkpoints (read whole, for their signatures) takes the fast path.
        #expect(skimmed == lines.count - checkpoints)
    }

    @Test func writtenValuesOfEveryKindAreSkimmedAndReadAlike() throws {
        let values: [JSONValue] = [
            .string("plain"), .string("a \"quoted\" word\nand a\ttab \\ / \u{1}"), .string("café ☕ 😀"), .string(""),
            .int(0), .int(-42), .int(Int64.max), .int(Int64.min), .double(2.5), .double(-0.125), .bool(true), .null,
            .array([]), .object([:]), .array([.array([.object(["a": .array([.int(1)])])])]),
            .object(["é": .int(1), "key with spaces": .string("x"), "": .int(2)]),
        ]
        for (n, value) in values.enumerated() {
            let (line, record) = try RecordLine.encode(
                JournalEntry(time: t0, type: "test.kind", actor: n % 2 == 0 ? "kim" : "zoë", data: .object(["v": value])),
                seq: UInt64(n + 1), prev: genesisHash)
            let bytes = Array(line.dropLast())  // the `\n`
            let result = Self.bothReadings(bytes)
            #expect(result.accepted, "\(value)")
            let link = try bytes.withUnsafeBytes { try RecordLine.link($0).get() }
            #expect(link.seq == record.seq && link.hash == record.hash && link.prev == record.prev)
            // A non-ASCII actor or member name is beyond what the skimmer is sure of; everything else is skimmed.
            let sure = n % 2 == 0 && n != values.count - 1
            if sure { #expect(result.skimmed, "\(value) should take the fast path") }
        }
    }

    /// Lines the writer never writes, each either accepted by both readings or refused by both with the same
    /// reason. Those the parser refuses must never be accepted by the skimmer.
    @Test(arguments: [
        // accepted by both
        (#"{"a":1,"b":{"a":2}}"#, true), (#"{ "a" : [ 1 , 2 ] }"#, true), (#"{"a":"\u00e9\ud83d\ude00"}"#, true),
        (#"{"a":12345678901234567890123}"#, true), (#"{"a":1e5,"b":1E-3}"#, true), (#"{"a":-0.0}"#, true),
        (#"{"\u0061":1,"a\/":2}"#, true),
        // refused by both
        (#"{"a":1,"a":2}"#, false), (#"{"a":{"b":1,"b":2}}"#, false), (#"{"a":1,"\u0061":2}"#, false),
        ("{\"\u{E9}\":1,\"e\u{301}\":2}", false), (#"{"a":01}"#, false), (#"{"a":1.}"#, false), (#"{"a":-}"#, false),
        (#"{"a":1e400}"#, false), (#"{"a":.5}"#, false), (#"{"a":+1}"#, false), (#"{"a":1,}"#, false), (#"{"a" 1}"#, false),
        (#"{"a":[1,]}"#, false), (#"{"a":tru}"#, false), (#"{"a":nul}"#, false), (#"{"a":"\x"}"#, false),
        (#"{"a":"\ud800"}"#, false), (#"{"a":"\udc00"}"#, false), (#"{"a":"\ud800\u0041"}"#, false),
        (#"{"a":"\u12G4"}"#, false), ("{\"a\":\"tab\there\"}", false), ("{\"a\":\"\u{7F}\"}", true), (#"{a:1}"#, false),
        (#"[1]"#, false), (#""x""#, false), (#"{"a":1}}"#, false),
    ])
    func handMadeDataIsJudgedAlike(_ data: String, _ valid: Bool) {
        let result = Self.bothReadings(Self.line(data: data))
        #expect(result.accepted == valid)
    }

    @Test func invalidUTF8AndOverlongBytesAreRefusedAlike() {
        for bad: [UInt8] in [[0xC3], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0x80]] {
            var data = Array(#"{"a":"x"#.utf8)
            data += bad
            data += Array(#"y"}"#.utf8)
            let sealed = RecordLine.sealing(Array(#"{"seq":5,"time":"2026-11-22T08:00:00Z","type":"t","actor":"a","data":"#.utf8) + data + Array(("," + Self.prev).utf8))
            #expect(!Self.bothReadings(sealed).accepted, "\(bad)")
        }
        // Valid multi-byte text is accepted, and skimmed.
        let good = Self.bothReadings(Self.line(data: #"{"a":"naïve – 😀"}"#))
        #expect(good.accepted && good.skimmed)
    }

    @Test func nestingIsBoundedAsTheParserBoundsIt() {
        // The line is depth 1 and its data depth 2: 63 more levels reach the parser's 64, one more is refused.
        for levels in [60, 62, 63, 64, 70] {
            let data = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
            let result = Self.bothReadings(Self.line(data: #"{"a":"# + data + "}"))
            #expect(result.accepted == (levels <= 62), "\(levels) levels inside data")
        }
    }

    @Test(arguments: [("0", false), ("007", false), ("12", true), ("1234567890123456789", true), ("99999999999999999999", false),
                      ("-1", false), ("5.0", true), ("\"5\"", false)])
    func theSeqIsJudgedAlike(_ seq: String, _ valid: Bool) {
        #expect(Self.bothReadings(Self.line(data: "{}", seq: seq)).accepted == valid, "seq \(seq)")
    }

    @Test func theEnvelopeIsJudgedAlike() {
        #expect(!Self.bothReadings(Self.line(data: "{}", time: "2026-02-30T08:00:00Z")).accepted)
        #expect(Self.bothReadings(Self.line(data: "{}", time: "2026-11-22T08:00:00+01:00")).skimmed)
        #expect(!Self.bothReadings(Self.line(data: "{}", type: "\"\"")).accepted)
        #expect(!Self.bothReadings(Self.line(data: "{}", actor: "[]")).accepted)
        #expect(!Self.bothReadings(Self.line(data: "{}", actor: "7")).accepted)
        // Escapes in the type or actor, an extra member: accepted by the full reading, so by verify's too.
        #expect(Self.bothReadings(Self.line(data: "{}", actor: #""a\"b""#)).accepted)
        #expect(Self.bothReadings(Self.line(data: "{}", type: #""a\u0062""#)).accepted)
        #expect(Self.bothReadings(Self.line(data: #"{},"extra":1"#)).accepted)
        #expect(!Self.bothReadings(Self.line(data: "[]")).accepted)
        let upper = RecordLine.sealing(Array((#"{"seq":5,"time":"2026-11-22T08:00:00Z","type":"t","actor":"a","data":{},"prev":""#
                                              + String(repeating: "A", count: 64) + #"""#).utf8))
        #expect(!Self.bothReadings(upper).accepted)
    }

    /// Every line of a journal with many shapes of value, changed one byte at a time at random (seeded) and
    /// sealed again: the two readings agree on each of them.
    @Test func randomlyChangedLinesAreJudgedAlike() throws {
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/engine-v1.jsonl")
        let lines = try String(contentsOf: golden, encoding: .utf8).split(separator: "\n").map { Array($0.utf8.dropLast(9 + 64 + 2)) }
        var rng = SplitMix(seed: 23)
        let alphabet = Array(#"{}[]",:\u0123456789abcdefE.-+ tnrl"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xED, 0xFF]
        var accepted = 0
        for _ in 0..<6_000 {
            var body = lines[Int.random(in: 0..<lines.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<body.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: body[at] = alphabet.randomElement(using: &rng)!
                case 1: body.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: body.remove(at: at)
                }
            }
            if Self.bothReadings(RecordLine.sealing(body)).accepted { accepted += 1 }
        }
        // Both kinds were met: changes that leave a valid record, and changes that do not.
        #expect(accepted > 300 && accepted < 5_700)
    }

    @Test func verifyTellsItsProgressUpToTheWholeJournal() throws {
        let dir = TempDir()
        var options = JournalOptions()
        options.maxSegmentBytes = 64 * 1024
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        for batch in 0..<30 { _ = try journal.appendNow((1...100).map { entry(batch * 100 + $0) }) }
        try journal.closeNow()
        var seen: [(Int, Int)] = []
        let report = try JournalVerifier.verify(directory: dir.sub("j")) { done, total in seen.append((done, total)) }
        #expect(report.intact && report.recordCount == 3_000 && report.segmentCount > 3)
        #expect(seen.count >= report.segmentCount)
        #expect(seen.map(\.0) == seen.map(\.0).sorted())
        #expect(seen.allSatisfy { $0.1 == report.byteCount })
        #expect(seen.last?.0 == report.byteCount)
    }
}
