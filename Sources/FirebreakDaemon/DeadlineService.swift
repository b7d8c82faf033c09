import FirebreakCore
import FirebreakSystemd
import Logging
import ServiceLifecycle

/// Fires deadlines as they fall due: sleeps until the next one, or until a command arms an earlier one.
/// Deadlines that passed while the daemon was down fall due on the first turn.
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
            while !Task.isCancelled {
                let fired = try await desk.fireDue()
                let next = await desk.nextDeadline()
                if fired > 0 {
                    logger.info("deadlines fired: \(fired) events journaled", metadata: MessageID.meta(MessageID.deadlinesFired, ["events": "\(fired)"]))
                }
                let open = await desk.activeIncidents
                SystemdNotify.status("\(open) open incident\(open == 1 ? "" : "s"); next deadline \(next?.rfc3339 ?? "none")")
                // Sleep at most a minute, so a clock step (NTP, suspend) is noticed within a minute.
                let waitMs = next.map { max(0, min(60_000, $0.millisecondsSinceEpoch - clock().millisecondsSinceEpoch)) } ?? 60_000
                await desk.wakeup.sleep(for: .milliseconds(waitMs))
            }
        }
    }
}
