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

    /// Reads from `from` (the seq of the incident's `incident.opened` record) through `head`; blocks for as long
    /// as the journal takes to read, so callers run it off their executor.
    public static func read(journal directory: String, incident id: String, from: UInt64, through head: UInt64) throws -> Found {
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
