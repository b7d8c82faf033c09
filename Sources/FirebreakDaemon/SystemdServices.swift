import FirebreakConfig
import FirebreakCore
import FirebreakSystemd
import Logging
import ServiceLifecycle
import UnixSignals

/// Sends WATCHDOG=1 at half the interval systemd asks for, but only while the desk answers: a daemon whose
/// desk is stuck stops pinging, and systemd restarts it.
struct WatchdogService: Service {
    let desk: Desk
    let intervalMicroseconds: UInt64

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await desk.activeIncidents  // the desk is alive and not stuck behind a command
                SystemdWatchdog.ping()
                try? await Task.sleep(for: .microseconds(intervalMicroseconds / 2))  // cancelled at the stop
            }
        }
    }
}

/// SIGHUP reloads the playbooks and the roster. New ones that fail validation are refused and the ones in force
/// stay, with every problem logged; incidents already open keep the plan they opened with.
///
/// The signal is trapped before the group starts (`signals` comes in made): trapped here, a SIGHUP sent right
/// after READY could arrive while it was still ignored and be lost (CI saw exactly that).
struct ReloadService: Service {
    let desk: Desk
    let config: DaemonConfig
    let logger: Logger
    let signals: UnixSignalsSequence

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                SystemdNotify.send("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds())\nSTATUS=reloading playbooks and roster")
                let loaded = ConfigFiles.load(playbooks: config.playbooks, roster: config.roster)
                for d in loaded.diagnostics { d.level == .error ? logger.error("\(d)") : logger.warning("\(d)") }
                if !loaded.hasErrors, let roster = loaded.roster {
                    await desk.replace(context: EngineContext(playbooks: loaded.playbooks, roster: roster))
                    logger.info("reloaded: \(loaded.playbooks.playbooks.count) playbooks, \(roster.people.count) people", metadata: MessageID.meta(MessageID.reloaded))
                    SystemdNotify.send("READY=1\nSTATUS=reloaded \(loaded.playbooks.playbooks.count) playbooks")
                } else {
                    logger.error("reload refused: the playbooks or roster have errors (above); the previous ones stay in force", metadata: MessageID.meta(MessageID.reloadRefused))
                    SystemdNotify.send("READY=1\nSTATUS=reload refused: playbooks or roster have errors; previous ones in force")
                }
            }
        }
    }
}
