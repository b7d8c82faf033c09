import FirebreakCore
import FirebreakSystemd
import Logging
import ServiceLifecycle

/// Logs the deadlines the desk fired and keeps systemd's STATUS line current ("3 open incidents; next deadline
/// …"). Deadlines themselves fire from the desk's own timer (`DeadlineTimer`); this only reports them.
public struct StatusService: Service {
    let desk: Desk
    let clock: @Sendable () -> Timestamp
    let logger: Logger

    public init(desk: Desk, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.desk = desk
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var lastStatus = ""
            var lastStatusAt: Int64 = 0
            while !Task.isCancelled {
                let turn = await desk.status()
                if turn.deadlineEvents > 0 {
                    logger.info("deadlines fired: \(turn.deadlineEvents) events journaled",
                                metadata: MessageID.meta(MessageID.deadlinesFired, ["events": "\(turn.deadlineEvents)"]))
                }
                // STATUS when it changes, at most once a second: every report wakes this loop, and a status per
                // report would flood the manager (and block us if it reads slowly).
                let open = turn.activeIncidents
                let status = "\(open) open incident\(open == 1 ? "" : "s"); next deadline \(turn.nextDeadline?.rfc3339 ?? "none")"
                let nowMs = clock().millisecondsSinceEpoch
                if status != lastStatus && nowMs - lastStatusAt >= 1000 {
                    SystemdNotify.status(status)
                    lastStatus = status
                    lastStatusAt = nowMs
                }
                // The desk wakes this loop within a second of each change; a change not yet shown brings it back
                // within a second to show it.
                await desk.wakeup.sleep(for: .milliseconds(status != lastStatus ? 1000 : 60_000))
            }
        }
    }
}
