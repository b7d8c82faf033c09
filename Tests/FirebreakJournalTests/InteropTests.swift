import Crypto
import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport

/// The format is a contract with other tools: a journal written without Firebreak's code must verify, and
/// Firebreak's journal must check out with a reader that is not Firebreak's code.
@Suite struct InteropTests {
    /// Writes lines the way an outside tool would: its own member order, its own time format, a nested
    /// "hash" in data, and only SHA-256 and Ed25519 from the crypto library.
    static func independentJournal(_ directory: String, key: Curve25519.Signing.PrivateKey, count: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var text = ""
        var prev = String(repeating: "0", count: 64)
        func hex(_ d: some Sequence<UInt8>) -> String { d.map { String(format: "%02x", $0) }.joined() }
        func add(_ seq: Int, _ type: String, _ data: String) {
            let head = #"{"type":"\#(type)","seq":\#(seq),"actor":"outside-tool","time":"2026-11-22T09:00:0\#(seq % 10)Z","prev":"\#(prev)","data":\#(data)"#
            let hash = hex(SHA256.hash(data: Array(head.utf8)))
            text += head + #","hash":""# + hash + "\"}\n"
            prev = hash
        }
        for seq in 1...count {
            add(seq, "test.outside", #"{"hash":"not the record's","n":\#(seq),"text":"caf\u00e9 \"quoted\""}"#)
        }
        let message = Array("firebreak-checkpoint-v1\n\(count)\n\(prev)\n".utf8)
        let signature = try key.signature(for: message).base64EncodedString()
        let keyID = String(hex(SHA256.hash(data: key.publicKey.rawRepresentation)).prefix(16))
        add(count + 1, "journal.checkpoint", #"{"signature":"\#(signature)","key_id":"\#(keyID)","covers_seq":\#(count),"covers_hash":"\#(prev)"}"#)
        try text.write(toFile: directory + "/00000001.jsonl", atomically: false, encoding: .utf8)
    }

    @Test func aJournalWrittenWithoutFirebreaksCodeVerifiesWithTheRealCommand() throws {
        let dir = TempDir("interop")
        let key = Curve25519.Signing.PrivateKey()
        try (key.publicKey.rawRepresentation.base64EncodedString() + "\n").write(toFile: dir.sub("key.pub"), atomically: false, encoding: .utf8)
        try Self.independentJournal(dir.sub("j"), key: key, count: 5)
        let result = try run(productPath("firebreak"), ["journal", "verify", dir.sub("j"), "--key", dir.sub("key.pub")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("sealed up to seq 5"))
        // And the journal goes on from there when Firebreak opens it.
        let journal = try Journal.open(directory: dir.sub("j"))
        #expect(journal.recovery.lastSeq == 6)
        try journal.closeNow()
    }

    @Test func anIndependentlyWrittenJournalWithOneChangedByteFailsAtThatSeq() throws {
        let dir = TempDir("interop-bad")
        try Self.independentJournal(dir.sub("j"), key: Curve25519.Signing.PrivateKey(), count: 5)
        let path = dir.sub("j") + "/00000001.jsonl"
        var bytes = readBytes(path)
        let third = lineRanges(bytes)[2]
        let n = bytes[third].firstIndex(of: UInt8(ascii: "3"))!  // "seq":3 … the n:3 in data
        bytes[n] = UInt8(ascii: "4")
        writeBytes(path, bytes)
        let result = try run(productPath("firebreak"), ["journal", "verify", dir.sub("j"), "--json"])
        #expect(result.status == 1)
        let json = try JSONParser.parse(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(json["intact"] == false && json["problem"]?["seq"] == 3)
    }

    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    static var pythonHasCryptography: Bool {
        guard let python else { return false }
        return (try? run(python, ["-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"]).status) == 0
    }

    @Test(.enabled(if: python != nil, "needs python3"))
    func firebreaksJournalChecksOutWithAnIndependentReader() throws {
        let dir = TempDir("interop-py")
        let (signer, publicPath) = try KeyFile.generate(privatePath: dir.sub("key"))
        var options = JournalOptions()
        options.signer = signer
        options.checkpointEveryRecords = 7
        options.maxSegmentBytes = 4_000
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        for n in 1...50 {
            _ = try journal.appendNow([entry(n, extra: ["hash": "a member named hash", "text": .string("line\nbreak \u{1} é 😀 \"q\"")])])
        }
        try journal.closeNow()
        let head = try JournalVerifier.verify(directory: dir.sub("j"))
        let script = TestPaths.repoRoot + "/Tests/interop/check_journal.py"
        var args = [script, dir.sub("j")]
        if Self.pythonHasCryptography { args.append(publicPath) }
        let result = try run(Self.python!, args)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("OK \(head.lastSeq) \(head.lastHash) sealed=\(head.sealedThrough!)"), "\(result.stdout)")

        // The independent reader also catches a flipped byte, at the same seq as Firebreak's verifier.
        let segment = dir.sub("j") + "/00000002.jsonl"
        var bytes = readBytes(segment)
        bytes[lineRanges(bytes)[1].lowerBound + 40] ^= 0x02
        writeBytes(segment, bytes)
        let ours = try JournalVerifier.verify(directory: dir.sub("j"))
        let theirs = try run(Self.python!, [script, dir.sub("j")])
        #expect(theirs.status == 1)
        #expect(theirs.stdout.hasPrefix("BAD seq \(ours.problem!.location!.seq) "), "\(theirs.stdout) vs \(ours.problem!)")
    }
}

/// The worked example in docs/journal-format.md is read from the file and checked, so it cannot drift.
@Suite struct DocsExampleTests {
    static func exampleLines() throws -> [String] {
        let doc = try String(contentsOfFile: TestPaths.repoRoot + "/docs/journal-format.md", encoding: .utf8)
        let start = try #require(doc.range(of: "```jsonl\n"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        return doc[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
    }

    @Test func theExampleIsExactlyWhatFirebreakWritesAndItVerifiesWithTheExampleKey() throws {
        let lines = try Self.exampleLines()
        #expect(lines.count == 3)
        var prev = genesisHash
        for (i, line) in lines.enumerated() {
            let record = try Array(line.utf8).withUnsafeBytes { try RecordLine.decode($0).get() }
            #expect(record.seq == UInt64(i + 1) && record.prev == prev)
            // Firebreak's encoder gives the same bytes for the same record.
            let (encoded, _) = try RecordLine.encode(record.entry, seq: record.seq, prev: prev)
            #expect(String(decoding: encoded, as: UTF8.self) == line + "\n")
            prev = record.hash
        }
        #expect(prev == "52e39d5f87c56a2dc54a68560a570d6f0a4aea947bf50b35b160c8a06282a8c0")
        let dir = TempDir("docs")
        try FileManager.default.createDirectory(atPath: dir.sub("j"), withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir.sub("j") + "/00000001.jsonl", atomically: false, encoding: .utf8)
        try "lc3y8SYbBcpcLiE3I26fc/8Eizfos3i02eI0nJH7GVs=\n".write(toFile: dir.sub("example.pub"), atomically: false, encoding: .utf8)
        let report = try JournalVerifier.verify(directory: dir.sub("j"), keys: [VerificationKey.load(path: dir.sub("example.pub"))])
        #expect(report.intact && report.sealedThrough == 2 && report.sealedBy == "456c3faa8f4a0936")
    }
}
