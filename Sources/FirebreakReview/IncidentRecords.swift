import FirebreakCore
import FirebreakJournal

/// One incident's records as its review reads them from the journal: every record about it from its opening
/// record to the journal's durable head, and the first signed checkpoint after the last of them, which seals
/// them all (the proof a post-mortem prints).
public enum IncidentRecords {
    public struct Found: Sendable {
        public let records: [ReviewRecord]
        public let checkpoint: ReviewRecord?
    }

    /// Reads the lines at `places` (the incident's, from `IncidentIndex`) and the checkpoint at `checkpoint`,
    /// checking each line's hash, and that each is a record of `id` (the checkpoint a checkpoint): what it costs
    /// is the incident's own records. Blocks while it reads, so callers run it off their executor.
    public static func read(journal directory: String, incident id: String, places: [RecordPlace], checkpoint: RecordPlace?) throws -> Found {
        let all = try JournalReader.records(at: places + (checkpoint.map { [$0] } ?? []), directory: directory)
        var records: [ReviewRecord] = []
        records.reserveCapacity(places.count)
        for r in all.prefix(places.count) {
            guard r.data["incident"]?.stringValue == id else {
                throw JournalError(.damaged, "seq \(r.seq) (\(r.place?.segmentName ?? "?") byte \(r.place?.offset ?? 0)) is not a record of \(id): the incident index does not match the journal")
            }
            records.append(ReviewRecord(seq: r.seq, hash: r.hash, event: r.event))
        }
        var sealedBy: ReviewRecord?
        if checkpoint != nil, let c = all.last {
            guard c.type == checkpointRecordType, c.seq > (records.last?.seq ?? 0) else {
                throw JournalError(.damaged, "seq \(c.seq) is not a checkpoint after \(id)'s last record: the incident index does not match the journal")
            }
            sealedBy = ReviewRecord(seq: c.seq, hash: c.hash, event: c.event)
        }
        return Found(records: records, checkpoint: sealedBy)
    }

    /// The same answer by reading the journal from `from` (the seq of the incident's `incident.opened` record)
    /// through `head`: what the review did before the index, kept as the reference the index is tested against
    /// and as the baseline of `firebreak-bench review`.
    public static func scan(journal directory: String, incident id: String, from: UInt64, through head: UInt64) throws -> Found {
        var records: [ReviewRecord] = []
        var checkpoint: ReviewRecord?
        _ = try JournalReader.scan(directory: directory, from: from, trustPrefix: true) { r in
            guard r.seq <= head else { return }
            if r.data["incident"]?.stringValue == id {
                records.append(ReviewRecord(seq: r.seq, hash: r.hash, event: r.event))
                checkpoint = nil  // a record after the last checkpoint: only a later one seals it
            } else if r.type == checkpointRecordType, checkpoint == nil, !records.isEmpty {
                checkpoint = ReviewRecord(seq: r.seq, hash: r.hash, event: r.event)
            }
        }
        return Found(records: records, checkpoint: checkpoint)
    }
}
