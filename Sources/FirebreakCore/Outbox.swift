import HashTreeCollections

/// A notification asked for and not yet delivered. The outbox is part of the state, a fold of the journal like
/// the rest: after a restart, what was sent is not sent again and what was pending is retried.
public struct PendingNotification: Sendable, Hashable {
    public var id: String
    public var incident: String
    public var to: String
    public var kind: NotificationKind
    public var step: String?
    public var reason: String
    public var queuedAt: Timestamp
    /// Failed attempts so far, and when to try next.
    public var attempts = 0
    public var nextAttempt: Timestamp
    /// How many people were found unreachable before this one was asked (stops an endless chain).
    public var hops = 0

    init(id: String, incident: String, to: String, kind: NotificationKind, step: String?, reason: String, queuedAt: Timestamp,
         attempts: Int, nextAttempt: Timestamp, hops: Int) {
        self.id = id
        self.incident = incident
        self.to = to
        self.kind = kind
        self.step = step
        self.reason = reason
        self.queuedAt = queuedAt
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.hops = hops
    }

    init(_ n: NotificationRequested, at time: Timestamp) {
        id = n.id
        incident = n.incident
        to = n.to
        kind = n.kind
        step = n.step
        reason = n.reason ?? ""
        queuedAt = time
        nextAttempt = time
        hops = Int(n.hops ?? 0)
    }
}

/// Delivery outcomes as events, decided here so that who is told when someone cannot be reached follows the
/// roster's rules and is replayed exactly.
public enum Outbox {
    /// After this many people in a row could not be reached about one thing, nobody more is asked.
    static let maxHops = 3

    static func handle(_ command: Command, on d: inout Draft, context: EngineContext) -> Result<Void, EngineError> {
        let id: String
        switch command {
        case .delivered(let c): id = c.notification
        case .deliveryFailed(let c): id = c.notification
        default: return .failure(EngineError(.invalidState, "not a delivery"))
        }
        guard let pending = d.state.outbox[id], let incident = d.state.incidents[pending.incident] else {
            return .failure(EngineError(.invalidState, "notification \(id) is not waiting to be delivered"))
        }
        d.id = incident.id
        switch command {
        case .delivered(let c):
            let channel = c.channel, digest = c.digest
            d.emit(.notificationSent(NotificationSent(incident: incident.id, id: id, to: pending.to, channel: channel,
                                                      attempt: Int64(pending.attempts + 1), digest: digest)), actor: Actor.daemon.id)
        case .deliveryFailed(let c):
            let attempt = c.attempt, error = c.error, retryAt = c.retryAt
            var failed = NotificationFailed(incident: incident.id, id: id, to: pending.to, attempt: Int64(attempt), error: error, retryAt: retryAt)
            guard retryAt == nil else {
                d.emit(.notificationFailed(failed), actor: Actor.daemon.id)
                break
            }
            let next = nextPerson(after: pending, incident: incident, roster: context.roster, now: d.now)
            failed.escalatedTo = next
            d.emit(.notificationFailed(failed), actor: Actor.daemon.id)
            if let next {
                d.notify(next, kind: .unreachable, step: pending.step,
                         reason: "\(pending.to) could not be reached about \(pending.kind) for \(pending.incident) (\(error)): \(pending.reason)",
                         hops: Int64(pending.hops + 1), about: id)
            }
        default:
            break
        }
        return .success(())
    }

    /// Who hears instead of someone unreachable: the backup of the step's role, else its manager, else another
    /// manager; nobody once `maxHops` people in a row were unreachable.
    static func nextPerson(after p: PendingNotification, incident: IncidentState, roster: Roster, now: Timestamp) -> String? {
        guard p.hops + 1 < maxHops else { return nil }
        let role = p.step.flatMap { incident.stepIndex($0) }.map { incident.plan.steps[$0].owner } ?? incident.plan.steps.first?.owner ?? ""
        let candidates = [roster.backup(of: role, at: now), roster.manager(of: role)] + roster.managers.sorted().map { Optional($0) }
        return candidates.compactMap { $0 }.first { $0 != p.to }
    }
}

extension Outbox {
    /// Entries of `outbox` due by `now`, oldest first. A walk of the whole outbox: the daemon runs it on a copy,
    /// off the desk, because entries held for a digest stay due and an outbox can be long.
    public static func due(in outbox: TreeDictionary<String, PendingNotification>, by now: Timestamp) -> [PendingNotification] {
        outbox.values.filter { $0.nextAttempt <= now }.sorted { ($0.nextAttempt, $0.id) < ($1.nextAttempt, $1.id) }
    }

    public static func nextAttempt(in outbox: TreeDictionary<String, PendingNotification>, after now: Timestamp) -> Timestamp? {
        outbox.values.lazy.map(\.nextAttempt).filter { $0 > now }.min()
    }
}

extension EngineState {
    /// Outbox entries due by `now`, oldest first.
    public func dueNotifications(by now: Timestamp) -> [PendingNotification] { Outbox.due(in: outbox, by: now) }

    /// When the next outbox entry falls due after `now` (ones due already are `dueNotifications`).
    public func nextNotificationAttempt(after now: Timestamp) -> Timestamp? { Outbox.nextAttempt(in: outbox, after: now) }

    /// The outbox's part of `apply`.
    mutating func applyToOutbox(_ e: Event) {
        switch e.body {
        case .notificationRequested(let n):
            outbox[n.id] = PendingNotification(n, at: e.time)
        case .notificationSent(let n):
            outbox[n.id] = nil
        case .notificationFailed(let n):
            if n.final {
                outbox[n.id] = nil
            } else if let retry = n.retryAt {
                outbox[n.id]?.attempts = Int(n.attempt ?? 0)
                outbox[n.id]?.nextAttempt = retry
            }
        default:
            break
        }
    }
}

extension Event {
    /// The outbox entry the event adds, delivers or retries.
    var outboxID: String? {
        switch body {
        case .notificationRequested(let n): n.id
        case .notificationSent(let n): n.id
        case .notificationFailed(let n): n.id
        default: nil
        }
    }
}
