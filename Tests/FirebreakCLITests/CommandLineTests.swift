import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport

/// `firebreak journal …` as people and scripts run it: the real binary, its output and its exit codes.
@Suite struct JournalCommandLineTests {
    let firebreak = productPath("firebreak")

    @Test func keygenVerifyAndShowWorkTogether() throws {
        let dir = TempDir("cli")
        let keygen = try run(firebreak, ["journal", "keygen", "--out", dir.sub("key"), "--json"])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let keyID = try JSONParser.parse(keygen.stdout.trimmingCharacters(in: .newlines))["key_id"]?.stringValue
        var options = JournalOptions()
        options.signer = try CheckpointSigner.load(path: dir.sub("key"))
        options.checkpointEveryRecords = 4
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        for n in 1...9 {
            _ = try journal.appendNow([entry(n, type: n % 2 == 0 ? "step.done" : "report.received")])
        }
        // Checkpoints at seq 5 and 10; seq 11 stays unsealed in this copy.
        try copyDirectory(dir.sub("j"), dir.sub("unsealed"))
        try journal.closeNow()

        let verify = try run(firebreak, ["journal", "verify", dir.sub("j"), "--key", dir.sub("key.pub")])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("intact") && verify.stdout.contains("signed by key \(keyID!)"))
        let unsealed = try run(firebreak, ["journal", "verify", dir.sub("unsealed"), "--key", dir.sub("key.pub"), "--json"])
        let u = try JSONParser.parse(unsealed.stdout.trimmingCharacters(in: .newlines))
        #expect(unsealed.status == 0 && u["sealed_through"] == 9 && u["last_seq"] == 11 && u["unsealed"] == 1)

        let all = try run(firebreak, ["journal", "show", dir.sub("j"), "--json"])
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.count == 12)
        // --json prints the records as the journal holds them: each line re-hashes to its own hash.
        for line in lines {
            let record = try Array(line.utf8).withUnsafeBytes { try RecordLine.decode($0).get() }
            #expect(record.seq >= 1)
        }
        let reports = try run(firebreak, ["journal", "show", dir.sub("j"), "--type", "report.*"])
        #expect(reports.stdout.split(separator: "\n").count == 5)
        let incident = try run(firebreak, ["journal", "show", dir.sub("j"), "--incident", "INC-1", "--json"])
        #expect(incident.stdout.split(separator: "\n").count == 3)  // n = 1, 4, 7
        let since = try run(firebreak, ["journal", "show", dir.sub("j"), "--since", "2026-11-22T08:00:08Z", "--type", "step.done"])
        #expect(since.stdout.split(separator: "\n").count == 1)
        #expect(since.stdout.contains("step.done") && since.stdout.contains("n=8"))
        let bad = try run(firebreak, ["journal", "show", dir.sub("j"), "--since", "yesterday"])
        #expect(bad.status == 64 && bad.stderr.contains("not an RFC 3339 time"))
    }

    @Test func verifyNamesTheFirstBadSeqAndExitsOne() throws {
        let dir = TempDir("cli-bad")
        try writeJournal(dir.sub("j"), count: 6)
        let path = dir.sub("j") + "/" + Segments.name(1)
        var bytes = readBytes(path)
        bytes[lineRanges(bytes)[3].lowerBound + 50] ^= 0x10
        writeBytes(path, bytes)
        let result = try run(firebreak, ["journal", "verify", dir.sub("j")])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAILED at seq 4 (00000001.jsonl line 4"))
        #expect(result.stdout.contains("records 1..3 before it are intact"))
        let show = try run(firebreak, ["journal", "show", dir.sub("j")])
        #expect(show.status == 1 && show.stdout.split(separator: "\n").count == 3 && show.stderr.contains("seq 4"))
    }

    /// On a terminal, verify says how far it has read, on stderr, and takes that line away before the result;
    /// into a file or a pipe it prints the result only.
    @Test func verifyShowsItsProgressOnATerminalOnly() throws {
        let dir = TempDir("cli-progress")
        var options = JournalOptions()
        options.maxSegmentBytes = 64 * 1024
        let journal = try Journal.open(directory: dir.sub("j"), options: options)
        for batch in 0..<20 { _ = try journal.appendNow((1...100).map { entry(batch * 100 + $0) }) }
        try journal.closeNow()
        // util-linux's script(1) gives the command a terminal and copies what it writes there.
        let onTerminal = try run("/usr/bin/script", ["-qec", "\(firebreak) journal verify \(dir.sub("j"))", "/dev/null"])
        #expect(onTerminal.status == 0, "\(onTerminal.stdout)")
        let shown = onTerminal.stdout
        #expect(shown.contains("verifying \(dir.sub("j")): "), "\(shown)")
        #expect(shown.contains(" MB ("), "\(shown)")
        // The progress line is cleared before the result, which then starts a clean line.
        #expect(shown.contains("\r\u{1B}[Kjournal \(dir.sub("j")): intact"), "\(shown)")
        let plain = try run(firebreak, ["journal", "verify", dir.sub("j")])
        #expect(plain.status == 0 && plain.stderr.isEmpty && plain.stdout.hasPrefix("journal \(dir.sub("j")): intact"))
    }

    @Test func verifyWithAKeyFailsAnUnsignedJournal() throws {
        let dir = TempDir("cli-unsigned")
        try writeJournal(dir.sub("j"), count: 2)
        _ = try run(firebreak, ["journal", "keygen", "--out", dir.sub("key")])
        let result = try run(firebreak, ["journal", "verify", dir.sub("j"), "--key", dir.sub("key.pub")])
        #expect(result.status == 1 && result.stdout.contains("no record is sealed"))
    }

    @Test func aMissingJournalOrKeyIsExitTwoWithTheReason() throws {
        let dir = TempDir("cli-missing")
        let missing = try run(firebreak, ["journal", "verify", dir.sub("nope")])
        #expect(missing.status == 2 && missing.stderr.contains(dir.sub("nope")))
        try writeJournal(dir.sub("j"), count: 1)
        let noKey = try run(firebreak, ["journal", "verify", dir.sub("j"), "--key", dir.sub("none.pub")])
        #expect(noKey.status == 2 && noKey.stderr.contains("none.pub"))
    }

    @Test func theJournalPathDefaultsToTheStateDirectory() throws {
        let dir = TempDir("cli-env")
        try writeJournal(dir.sub("journal"), count: 3)
        var env = ProcessInfo.processInfo.environment
        env["FIREBREAK_STATE_DIR"] = dir.path
        let result = try run(firebreak, ["journal", "verify"], environment: env)
        #expect(result.status == 0 && result.stdout.contains("records 1..3"))
    }
}
