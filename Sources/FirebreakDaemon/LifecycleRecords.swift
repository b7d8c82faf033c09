import FirebreakCore
import FirebreakJournal
import Foundation

/// The daemon's own records: when it started and stopped, and what recovery found.
enum LifecycleRecords {
    static let actor = "firebreakd"

    static func startRecords(recovery r: RecoveryReport, now: Timestamp) -> [JournalEntry] {
        var entries: [JournalEntry] = []
        if let torn = r.tornTail {
            entries.append(JournalEntry(time: now, type: "journal.recovered", actor: actor, data: [
                "segment": .string(torn.location.segment),
                "offset": .int(Int64(torn.location.offset)),
                "seq": .int(Int64(torn.location.seq)),
                "bytes": .int(Int64(torn.bytes)),
                "sha256": .string(torn.sha256),
                "moved_to": .string(torn.movedTo),
                "reason": .string(torn.reason),
            ]))
        }
        entries.append(JournalEntry(time: now, type: "daemon.started", actor: actor, data: [
            "pid": .int(Int64(ProcessInfo.processInfo.processIdentifier)),
            "recovered_seq": .int(Int64(r.lastSeq)),
            "unsealed_at_start": .int(Int64(r.unsealedCount)),
            "tail_frames_rewritten": .int(Int64(r.tailFramesRewritten)),
            "tail_bytes_repaired": .int(Int64(r.tailBytesRepaired)),
        ]))
        return entries
    }

    static func stopRecord(now: Timestamp) -> JournalEntry {
        JournalEntry(time: now, type: "daemon.stopped", actor: actor, data: [
            "pid": .int(Int64(ProcessInfo.processInfo.processIdentifier)),
        ])
    }
}
