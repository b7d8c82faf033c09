/// What `firebreak journal verify` establishes about a journal.
public struct VerifyReport: Sendable {
    public var directory: String
    public var lastSeq: UInt64 = 0
    public var lastHash: String = genesisHash
    public var recordCount = 0
    public var byteCount = 0
    public var segmentCount = 0
    public var checkpointCount = 0
    /// The seq the last good checkpoint seals (everything up to it is signed); nil when none.
    public var sealedThrough: UInt64?
    /// The key that signed the last good checkpoint, when signatures were checked.
    public var sealedBy: String?
    /// Whether signatures were checked (a key was given).
    public var signaturesChecked = false
    /// The first thing wrong, if any.
    public var problem: Problem?
    /// Torn tails cut off by earlier recoveries and kept beside the segments, for a person to look at.
    public var tornTailFiles: [String] = []

    public struct Problem: Sendable, CustomStringConvertible {
        public let location: JournalLocation?
        public let reason: String
        public var description: String { location.map { "\($0): \(reason)" } ?? reason }
    }

    public var intact: Bool { problem == nil }
    /// Records after the last checkpoint.
    public var unsealedCount: UInt64 { lastSeq - (sealedThrough.map { $0 + 1 } ?? 0) }
}

/// Checks a journal end to end: every line's hash, seq and prev, and every checkpoint.
public enum JournalVerifier {
    /// With `keys`, every checkpoint must be signed by one of them and at least one must exist; without, a
    /// checkpoint's structure is checked but its signature cannot be.
    ///
    /// Lines are hashed and checked on every core; the chain and the checkpoints are then walked in order.
    /// `progress` is told the bytes read and the journal's size as it goes.
    public static func verify(
        directory: String,
        keys: [VerificationKey] = [],
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> VerifyReport {
        var report = VerifyReport(directory: directory)
        report.signaturesChecked = !keys.isEmpty
        report.tornTailFiles = ((try? FileIO.listDirectory(directory)) ?? []).filter { $0.contains(".jsonl.torn-") }.sorted()
        let byID = Dictionary(keys.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
        var previous: RecordLink?
        struct Stop: Error {}
        var checkpointProblem: VerifyReport.Problem?
        let scan: JournalScan
        do {
            scan = try JournalReader.scanLinks(directory: directory, progress: progress) { link in
                defer { previous = link }
                guard let record = link.checkpoint else { return }
                report.checkpointCount += 1
                func bad(_ reason: String) -> VerifyReport.Problem {
                    // The record itself is whole; its place is its seq.
                    VerifyReport.Problem(location: nil, reason: "seq \(record.seq): checkpoint \(reason)")
                }
                guard let fields = Checkpoint.Fields(record.data) else {
                    checkpointProblem = bad("lacks covers_seq, covers_hash, key_id or a 64-byte base64 signature")
                    throw Stop()
                }
                guard fields.coversSeq == record.seq - 1, fields.coversHash == (previous?.hash ?? genesisHash) else {
                    checkpointProblem = bad("claims to cover seq \(fields.coversSeq) but does not follow it")
                    throw Stop()
                }
                if !keys.isEmpty {
                    guard let key = byID[fields.keyID] else {
                        checkpointProblem = bad("is signed by key \(fields.keyID), which is not among the keys given")
                        throw Stop()
                    }
                    guard key.isValid(fields) else {
                        checkpointProblem = bad("signature does not verify with key \(fields.keyID)")
                        throw Stop()
                    }
                    report.sealedBy = fields.keyID
                }
                report.sealedThrough = fields.coversSeq
            }
        } catch is Stop {
            // Re-read up to the checkpoint for the counts; the problem is the checkpoint.
            report.problem = checkpointProblem
            report.lastSeq = previous?.seq ?? 0
            report.lastHash = previous?.hash ?? genesisHash
            return report
        }
        report.lastSeq = scan.lastSeq
        report.lastHash = scan.lastHash
        report.recordCount = scan.recordCount
        report.byteCount = scan.byteCount
        report.segmentCount = scan.segments.count
        if let problem = scan.problem {
            var reason = problem.reason
            if problem.isTornTail {
                reason += " (a torn tail: the daemon moves it aside when it next opens the journal)"
            } else if problem.kind == .badLine && problem.validRecordAfter {
                reason += " (valid records follow: damage in the middle)"
            }
            report.problem = VerifyReport.Problem(location: problem.location, reason: reason)
        } else if !keys.isEmpty && report.sealedThrough == nil {
            report.problem = VerifyReport.Problem(
                location: nil,
                reason: "no record is sealed: the journal holds no checkpoint signed by the key\(keys.count > 1 ? "s" : "") given")
        }
        return report
    }
}
