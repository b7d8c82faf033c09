import FirebreakCore
import FirebreakJournal
import Foundation
import FirebreakSystemd
import Logging

/// After a start from a snapshot: reads the journal records the snapshot stood in for, checks their hashes and
/// chain, folds them into a state and compares it with the snapshot's. Runs on a thread of its own beside the services,
/// so the start stays fast and the records skipped at start are still all checked on every start.
///
/// A difference means the daemon is running on a state the journal does not support (a snapshot edited, or a
/// journal damaged before it): the daemon then stops rather than act on it, after moving the snapshot aside, so
/// the restart systemd makes replays the whole journal.
enum SnapshotCheck {
    private struct Past: Error {}

    /// Nil when the journal up to the snapshot's record folds to the snapshot's state; else what is wrong.
    static func run(journalDirectory: String, snapshot: SnapshotStore.Loaded) -> String? {
        var fold = JournalFold()
        let through = snapshot.resume
        var last: JournalResume?
        let scan: JournalScan
        do {
            scan = try JournalReader.scan(directory: journalDirectory) { record in
                if record.seq > through.seq { throw Past() }
                fold.apply(record)
                last = JournalResume(seq: record.seq, hash: record.hash)
            }
        } catch is Past {
            return compare(fold, last, snapshot)
        } catch {
            return "cannot read the journal: \(error)"
        }
        if let problem = scan.problem, problem.location.seq <= through.seq {
            return "the journal before the snapshot's record is damaged: \(problem)"
        }
        return compare(fold, last, snapshot)
    }

    private static func compare(_ fold: JournalFold, _ last: JournalResume?, _ snapshot: SnapshotStore.Loaded) -> String? {
        guard last == snapshot.resume else {
            return "the journal's seq \(snapshot.resume.seq) is not the record the snapshot was taken at"
        }
        guard fold.state == snapshot.fold.state else { return "the state folded from the journal differs from the snapshot's" }
        guard fold.index.openedSeq == snapshot.fold.index.openedSeq else { return "the incidents' opening records differ from the snapshot's" }
        guard fold.index == snapshot.fold.index else { return "the incident index (where each incident's records are) differs from the snapshot's" }
        var a = fold.state, b = snapshot.fold.state
        guard a.nextDeadline()?.time == b.nextDeadline()?.time else { return "the next deadline differs from the snapshot's" }
        return nil
    }

    /// Starts the check on a low-priority thread; on a difference, logs it, moves the snapshot aside and exits.
    static func start(journalDirectory: String, snapshot: SnapshotStore.Loaded, store: SnapshotStore, logger: Logger) {
        BlockingWork.startInBackground {
            let started = Date()
            if let problem = run(journalDirectory: journalDirectory, snapshot: snapshot) {
                if let failed = store.discard(reason: problem) { logger.error("\(failed)") }
                logger.critical("the snapshot at seq \(snapshot.resume.seq) does not hold up against the journal: \(problem). It was moved to \(store.directory)/state.json.rejected; stopping so the restart replays the whole journal",
                                metadata: MessageID.meta(MessageID.journalFailed))
                SystemdNotify.send("STATUS=snapshot check failed: \(problem)\nERRNO=5")
                exit(DaemonExit.journalFailed.rawValue)
            }
            logger.info("snapshot at seq \(snapshot.resume.seq) checked against the journal in \(Int(Date().timeIntervalSince(started) * 1000)) ms: the same state")
        }
    }
}
