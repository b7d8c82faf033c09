import ArgumentParser
import FirebreakDaemon
import FirebreakSystemd
import Foundation
import Logging

/// `firebreakd`: the long-running service (the work is in FirebreakDaemon; this parses the command line).
@main
struct Daemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firebreakd",
        abstract: "The Firebreak daemon: runs playbooks for reported posts, chases deadlines, keeps the journal.",
        discussion: """
            Settings come from --config FILE (YAML: state_dir, playbooks, roster, signing_key, checkpoint_every, \
            checkpoint_seconds, socket, spool_dir, http, evidence_max_bytes such as 25M, and a notifications: section, see docs/notifications.md), then from the options below. Exit codes: 0 after a clean stop (SIGTERM or \
            SIGINT); 2 the journal could not be opened (damaged in the middle, locked by another process, \
            unreadable); 3 the journal or the evidence store failed while running (an fsync failed: nothing unsynced was acknowledged); \
            4 the configuration, playbooks or roster have errors, or the web address cannot be served.
            """
    )

    @Option(help: "A YAML configuration file.")
    var config: String?

    @Option(help: "State directory; the journal lives in STATE_DIR/journal (default /var/lib/firebreak).")
    var stateDir: String?

    @Option(help: "The playbook directory (default /etc/firebreak/playbooks).")
    var playbooks: String?

    @Option(help: "The roster file (default /etc/firebreak/roster.yaml).")
    var roster: String?

    @Option(help: "The spool directory (tmp/, new/, done/, rejected/; default /var/spool/firebreak).")
    var spoolDir: String?

    @Option(help: "The control socket, when systemd does not pass one (default /run/firebreak/firebreak.sock).")
    var socket: String?

    @Option(help: "The web pages: host:port to serve them on (127.0.0.1:8080), or off (the default without a configuration file).")
    var http: String?

    @Option(help: "Private key that signs journal checkpoints (default: the systemd credential journal-signing-key).")
    var signingKey: String?

    @Option(help: "Seal the journal with a checkpoint after this many records (default 1000).")
    var checkpointEvery: Int?

    @Option(help: "…or this many seconds after the first unsealed record (default 60).")
    var checkpointSeconds: Double?

    @Option(help: "Write a snapshot of the state after this many records, so a start reads only what follows it (default 100000; 0: never).")
    var snapshotEvery: Int?

    @Option(help: "Where logs go: journald (structured fields), stderr, or auto (journald when systemd connected our output to the journal).")
    var log = "auto"

    func validate() throws {
        if let snapshotEvery, snapshotEvery < 0 { throw ValidationError("--snapshot-every must be 0 or more records") }
        guard ["auto", "journald", "stderr"].contains(log) else { throw ValidationError("--log must be auto, journald or stderr") }
    }

    func run() async throws {
        let useJournald = log == "journald" || (log == "auto" && ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil)
        if useJournald {
            LoggingSystem.bootstrap { JournaldLogHandler(label: $0) }
        } else {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
        }
        var logger = Logger(label: "firebreakd")
        logger.logLevel = .info
        var settings = DaemonConfig()
        if let config {
            do {
                settings = try DaemonConfig.load(file: config)
            } catch {
                logger.critical("\(error)")
                throw ExitCode(DaemonExit.badConfiguration.rawValue)
            }
        }
        if let stateDir { settings.stateDir = stateDir }
        if let playbooks { settings.playbooks = playbooks }
        if let roster { settings.roster = roster }
        if let signingKey { settings.signingKey = signingKey }
        if let socket { settings.socket = socket }
        if let spoolDir { settings.spoolDir = spoolDir }
        if let http { settings.http = http }
        if let checkpointEvery { settings.checkpointEvery = checkpointEvery }
        if let checkpointSeconds { settings.checkpointSeconds = checkpointSeconds }
        if let snapshotEvery { settings.snapshotEvery = snapshotEvery }
        let status = await DaemonRunner.run(config: settings, logger: logger)
        if status != .clean { throw ExitCode(status.rawValue) }
    }
}
