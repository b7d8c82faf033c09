import FirebreakCore
import FirebreakSystemd
import Logging
import ServiceLifecycle

/// Logs the deadlines that fired and keeps the STATUS line current. The desk fires deadlines itself, from a
/// timer on its own thread; only when it has none (no timerfd) does this loop fire them: it sleeps until the
/// next one, or until a command arms an earlier one. Deadlines that passed while the daemon was down fall due
/// on the first turn.
public struct DeadlineService: Service {
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
                // One visit to the desk a turn: each visit waits for the batch being synced, if any.
                let turn = try await desk.fireDue()
                let fired = turn.events, next = turn.nextDeadline, open = turn.activeIncidents
                if fired > 0 {
                    logger.info("deadlines fired: \(fired) events journaled", metadata: MessageID.meta(MessageID.deadlinesFired, ["events": "\(fired)"]))
                }
                // STATUS when it changes, at most once a second: every report wakes this loop, and a status per
                // report would flood the manager (and block us if it reads slowly).
                let status = "\(open) open incident\(open == 1 ? "" : "s"); next deadline \(next?.rfc3339 ?? "none")"
                let nowMs = clock().millisecondsSinceEpoch
                if status != lastStatus && nowMs - lastStatusAt >= 1000 {
                    SystemdNotify.status(status)
                    lastStatus = status
                    lastStatusAt = nowMs
                }
                // Sleep at most a minute, so a clock step (NTP, suspend) is noticed within a minute. When the desk
                // fires the deadlines, it wakes this loop within a second of each change, for the STATUS line.
                var waitMs = turn.firedByTheDesk ? 60_000
                    : next.map { max(0, min(60_000, $0.millisecondsSinceEpoch - clock().millisecondsSinceEpoch)) } ?? 60_000
                if status != lastStatus { waitMs = min(waitMs, 1000) }  // come back to report the change
                await desk.wakeup.sleep(for: .milliseconds(waitMs))
            }
        }
    }
}
