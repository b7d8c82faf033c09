import FirebreakConfig
import FirebreakCore
import FirebreakJournal
import FirebreakSystemd
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// How firebreakd ends, as its exit status (documented in the README and `firebreakd --help`).
public enum DaemonExit: Int32, Sendable {
    case clean = 0
    /// The journal could not be opened: damaged in the middle, locked by another process, unreadable.
    case journalUnopenable = 2
    /// The journal failed while running (an fdatasync failed): nothing unsynced was acknowledged.
    case journalFailed = 3
    /// The configuration file, the playbooks or the roster has errors (each is logged with file and line).
    case badConfiguration = 4
}

/// Starts the daemon: configuration, journal replay into the engine's state, the start records, the services,
/// and a sealed stop. Returns the exit status.
public enum DaemonRunner {
    public static func run(config: DaemonConfig, logger: Logger) async -> DaemonExit {
        // A hook or sendmail that exits before reading its input, or a client gone mid-reply, must fail that one
        // delivery (EPIPE), not kill the daemon with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        // SIGHUP is trapped from the first moment (its default action kills): one sent during a long replay, or
        // right after READY, waits in this sequence for the reload service instead of being lost.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        do { try config.check() } catch {
            logger.critical("\(error)")
            return .badConfiguration
        }
        var options = JournalOptions()
        options.checkpointEveryRecords = config.checkpointEvery
        options.checkpointEverySeconds = config.checkpointSeconds
        do {
            options.signer = try config.signingKey.map { try CheckpointSigner.load(path: $0) } ?? CheckpointSigner.fromCredentials()
                ?? StateSigningKey.loadOrCreate(stateDir: config.stateDir, logger: logger)
        } catch {
            logger.critical("\(error)")
            return .badConfiguration
        }

        let loaded = ConfigFiles.load(playbooks: config.playbooks, roster: config.roster)
        for d in loaded.diagnostics { d.level == .error ? logger.error("\(d)") : logger.warning("\(d)") }
        guard !loaded.hasErrors, let roster = loaded.roster else {
            logger.critical("not starting: fix the playbooks and roster above (check them with `firebreak validate --playbooks \(config.playbooks) --roster \(config.roster)`)",
                            metadata: MessageID.meta(MessageID.configurationInvalid))
            return .badConfiguration
        }
        let context = EngineContext(playbooks: loaded.playbooks, roster: roster)

        let fatalLogger = logger
        options.onFatal = { error in
            fatalLogger.critical("journal failed, stopping: \(error)", metadata: MessageID.meta(MessageID.journalFailed))
            SystemdNotify.send("STATUS=journal failed: \(error.message)\nERRNO=5")
            exit(DaemonExit.journalFailed.rawValue)
        }
        var fold = JournalFold()
        let snapshots = config.snapshotEvery > 0 ? SnapshotStore(directory: config.stateDir + "/snapshot") : nil
        var snapshot: SnapshotStore.Loaded?
        do { snapshot = try snapshots?.load() } catch {
            logger.warning("snapshot not used, replaying the whole journal: \(error)")
            if let failed = snapshots?.discard(reason: error.description) { logger.warning("\(failed)") }
        }
        let journal: Journal
        do {
            func open(from snapshot: SnapshotStore.Loaded?) throws -> Journal {
                fold = snapshot?.fold ?? JournalFold()
                return try Journal.open(directory: config.journalDirectory, options: options, resume: snapshot?.resume) { fold.apply($0) }
            }
            do {
                journal = try open(from: snapshot)
            } catch let mismatch as JournalResume.Mismatch {
                logger.warning("snapshot does not match the journal (\(mismatch)); replaying the whole journal")
                if let failed = snapshots?.discard(reason: mismatch.reason) { logger.warning("\(failed)") }
                snapshot = nil
                journal = try open(from: nil)
            }
        } catch {
            logger.critical("cannot open the journal: \(error)")
            return .journalUnopenable
        }
        let r = journal.recovery
        if let torn = r.tornTail {
            logger.warning("journal had a torn tail: \(torn.bytes) bytes at \(torn.location) (\(torn.reason)) moved to \(torn.movedTo)",
                           metadata: MessageID.meta(MessageID.tornTail, ["segment": .string(torn.location.segment), "seq": .stringConvertible(torn.location.seq)]))
        }
        if r.tailBytesRepaired > 0 {
            logger.warning("journal: the tail ring restored \(r.tailBytesRepaired) bytes (\(r.tailFramesRewritten) batches) that a segment had lost since its last sync: the machine lost unsynced pages; every acknowledged record is back")
        } else if r.tailFramesRewritten > 0 {
            logger.info("journal: \(r.tailFramesRewritten) batches of the tail ring checked against their segment after an unclean stop; none was missing")
        }
        if !r.tailRing {
            logger.warning("journal: no room for the tail ring (\(config.journalDirectory)/tail.ring); each batch is synced in its segment, which is slower")
        }
        let state = fold.state
        let open = state.activeIncidentCount
        let from = r.resumedAt.map { "from the snapshot at seq \($0) " } ?? ""
        logger.info("journal \(config.journalDirectory) replayed \(from)to seq \(r.lastSeq): \(state.incidents.count) incidents, \(open) open; \(loaded.playbooks.playbooks.count) playbooks, \(roster.people.count) people",
                    metadata: MessageID.meta(MessageID.started))
        let desk: Desk
        do {
            desk = try Desk(state: state, context: context, journal: journal, clock: options.clock, index: fold.index,
                            snapshots: snapshots, snapshotEvery: config.snapshotEvery, logger: logger, spoolRoot: config.spoolDir,
                            publicKeyPath: [config.signingKey.map { $0 + ".pub" }, StateSigningKey.path(stateDir: config.stateDir) + ".pub", "/etc/firebreak/journal-signing-key.pub"]
                                .compactMap { $0 }.first { FileManager.default.isReadableFile(atPath: $0) },
                            // The start, and any recovery, go into the journal itself and are sealed at once: the
                            // post-mortem and the auditor see when the daemon ran and exactly what a recovery cut off.
                            startRecords: LifecycleRecords.startRecords(recovery: r, now: options.clock()))
        } catch {
            logger.critical("\(error)")
            try? journal.closeNow()
            return error.code == .journal ? .journalFailed : .badConfiguration
        }
        await desk.snapshotIfDue()
        let evidence: EvidenceStore
        do {
            evidence = try EvidenceStore(root: config.stateDir + "/evidence", maxBytes: config.evidenceMaxBytes) { problem in
                fatalLogger.critical("evidence store failed, stopping: \(problem)", metadata: MessageID.meta(MessageID.journalFailed))
                SystemdNotify.send("STATUS=evidence store failed: \(problem)\nERRNO=5")
                exit(DaemonExit.journalFailed.rawValue)
            }
        } catch {
            logger.critical("\(error)")
            try? await desk.close(with: [])
            return .badConfiguration
        }
        let web = config.httpAddress.map { address in
            WebSessions(baseURL: "http://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(address.port)", trustedHeader: config.httpTrustedHeader,
                        trustedProxies: config.httpTrustedProxies, signInDomains: config.httpSignInDomains)
        }
        let control: ControlSocket
        do {
            control = try ControlSocket.open(path: config.socket, desk: desk, evidence: evidence, web: web, logger: logger)
        } catch {
            logger.critical("\(error)")
            try? await desk.close(with: [])
            return .badConfiguration
        }
        let spool: Spool
        do {
            spool = try Spool(root: config.spoolDir, desk: desk, evidence: evidence, logger: logger)
        } catch {
            logger.critical("\(error)")
            control.stop()
            try? await desk.close(with: [])
            return .badConfiguration
        }
        // One-tap links need the web pages to answer them.
        var links: ActionLinks?
        if web != nil {
            do { links = try ActionLinks.load(path: config.stateDir + "/action-link-key") } catch {
                logger.error("\(error); notifications carry no one-tap links")
            }
        }
        let content: NotificationContent
        do {
            content = try await NotificationContent(directory: config.notifications.templates, webURL: config.notifications.webURL, links: links)
        } catch {
            logger.critical("notifications.templates: \(config.notifications.templates ?? ""): \(error)", metadata: MessageID.meta(MessageID.configurationInvalid))
            control.stop()
            try? await desk.close(with: [])
            return .badConfiguration
        }
        var services: [any Service] = [
            StatusService(desk: desk, clock: options.clock, logger: logger),
            NotificationService(desk: desk, settings: config.notifications, content: content, clock: options.clock, logger: logger),
            ControlSocketService(socket: control),
            SpoolService(spool: spool),
            ReloadService(desk: desk, config: config, logger: logger, signals: hangups),
        ]
        // READY waits for the web pages to be served, when there are any: a client (or systemd's ordering)
        // taking READY to mean "serving" must not find the port closed.
        let (webListening, webListened) = AsyncStream<Void>.makeStream()
        if config.httpAddress == nil { webListened.finish() }
        if let web, let address = config.httpAddress {
            let webLogger = logger
            services.append(WebService(server: WebServer(desk: desk, evidence: evidence, sessions: web, links: links, mail: config.notifications, logger: logger), host: address.host, port: address.port,
                                       logger: logger) { port in
                let url = "http://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(port)"
                await web.listening(at: url)
                webLogger.info("web pages on \(url) (sign in with `firebreak web-login`)", metadata: ["url": .string(url)])
                webListened.finish()
            })
        }
        if let usec = SystemdWatchdog.intervalMicroseconds() {
            logger.info("systemd watchdog every \(usec / 1000) ms: pinging at half that")
            services.append(WatchdogService(desk: desk, intervalMicroseconds: usec))
        }
        services += [
            ReadyService(status: "journal at seq \(journal.head.seq); \(open) open incident\(open == 1 ? "" : "s"); socket \(control.path ?? "from systemd")",
                         after: webListening),
        ]
        if let snapshot, let snapshots {
            SnapshotCheck.start(journalDirectory: config.journalDirectory, snapshot: snapshot, store: snapshots, logger: logger)
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        var exitStatus = DaemonExit.clean
        do {
            try await group.run()
        } catch {
            // The web server cannot listen or the spool cannot be watched (a setting to fix), or a service
            // failed.
            logger.critical("stopping after a failure: \(error)")
            exitStatus = (error as? DaemonError)?.code == .startup ? .badConfiguration : .journalFailed
        }
        SystemdNotify.stopping(status: "sealing the journal")
        await desk.saveSnapshot()
        do {
            try await desk.close(with: [LifecycleRecords.stopRecord(now: options.clock())])
        } catch {
            logger.critical("journal failed while closing: \(error)")
            return .journalFailed
        }
        logger.info("journal sealed at seq \(journal.head.seq); stopped", metadata: MessageID.meta(MessageID.stopped))
        return exitStatus
    }
}

/// Tells systemd the daemon is ready once the service group runs (so its signal handlers are in place and a
/// stop request right after READY is never lost) and `after` has finished (the web server listens), then waits
/// for the stop. A web server that cannot listen fails the group first: no READY.
struct ReadyService: Service {
    let status: String
    let after: AsyncStream<Void>

    func run() async throws {
        for await _ in after {}
        if Task.isCancelled { return }
        SystemdNotify.ready(status: status)
        try? await gracefulShutdown()
    }
}
