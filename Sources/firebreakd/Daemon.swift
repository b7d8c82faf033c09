import ArgumentParser
import Dispatch
import FirebreakJournal
import FirebreakSystemd
import Foundation
import Logging

/// `firebreakd`: the long-running service. At this stage it owns the journal: it opens and recovers it,
/// tells systemd it is ready, seals the journal with a signed checkpoint on a clean stop, and exits non-zero
/// the moment a sync fails. Intake, the engine and the socket join it in the daemon issue.
@main
struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firebreakd",
        abstract: "The Firebreak daemon.",
        discussion: """
            Exit codes: 0 after a clean stop (SIGTERM or SIGINT); 2 the journal could not be opened (damaged in \
            the middle, locked by another process, unreadable); 3 the journal failed while running (fdatasync \
            failed: nothing unsynced was acknowledged).
            """
    )

    @Option(help: "State directory; the journal lives in STATE_DIR/journal.")
    var stateDir = "/var/lib/firebreak"

    @Option(help: "Private key that signs journal checkpoints (default: the systemd credential journal-signing-key).")
    var signingKey: String?

    @Option(help: "Seal the journal with a checkpoint after this many records.")
    var checkpointEvery = 1000

    @Option(help: "…or this many seconds after the first unsealed record.")
    var checkpointSeconds = 60.0

    func run() throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "firebreakd")
        logger.logLevel = .info

        var options = JournalOptions()
        options.checkpointEveryRecords = checkpointEvery
        options.checkpointEverySeconds = checkpointSeconds
        do {
            if let signingKey {
                options.signer = try CheckpointSigner.load(path: signingKey)
            } else {
                options.signer = try CheckpointSigner.fromCredentials()
            }
        } catch {
            logger.critical("\(error)")
            throw ExitCode(2)
        }
        if options.signer == nil {
            logger.warning("no signing key: the journal is hash-chained but not sealed; create one with `firebreak journal keygen`")
        }
        let fatalLogger = logger
        options.onFatal = { error in
            fatalLogger.critical("journal failed, stopping: \(error)")
            SystemdNotify.send("STATUS=journal failed: \(error.message)\nERRNO=5")
            Foundation.exit(3)
        }

        // Stop requests are caught before anything else, so one that arrives right after READY is never lost.
        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)  // the default action would kill us before the source sees it
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }

        let directory = stateDir + "/journal"
        let journal: Journal
        do {
            journal = try Journal.open(directory: directory, options: options)
        } catch {
            logger.critical("cannot open the journal: \(error)")
            throw ExitCode(2)
        }
        let r = journal.recovery
        if let torn = r.tornTail {
            logger.warning("journal had a torn tail: \(torn.bytes) bytes at \(torn.location) (\(torn.reason)) moved to \(torn.movedTo)")
        }
        logger.info("journal \(directory) open at seq \(r.lastSeq) (\(r.recordCount) records, \(r.segmentCount) segments, \(r.unsealedCount) unsealed)")
        // The start, and any recovery, go into the journal itself and are sealed at once: the post-mortem
        // and the auditor see when the daemon ran and exactly what a recovery cut off.
        do {
            _ = try journal.appendAndSealBlocking(Lifecycle.startRecords(recovery: r, now: options.clock()))
        } catch {
            logger.critical("cannot record the start in the journal: \(error)")
            throw ExitCode(3)
        }
        SystemdNotify.ready(status: "journal at seq \(journal.head.seq)")

        stop.wait()
        SystemdNotify.stopping(status: "sealing the journal")
        do {
            _ = try journal.appendBlocking([Lifecycle.stopRecord(now: options.clock())])
            try journal.closeBlocking()
        } catch {
            logger.critical("journal failed while closing: \(error)")
            throw ExitCode(3)
        }
        logger.info("journal sealed at seq \(journal.head.seq); stopped")
        _ = sources
    }
}
