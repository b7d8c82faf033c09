import HashTreeCollections

/// A notification asked for and not yet delivered. The outbox is part of the state, a fold of the journal like
/// the rest: after a restart, what was sent is not sent again and what was pending is retried.
public struct PendingNotification: Sendable, Hashable {
    public var id: String
    public var incident: String
    public var to: String
    public var kind: String
    public var step: String?
    public var reason: String
    public var queuedAt: Timestamp
    /// Failed attempts so far, and when to try next.
    public var attempts = 0
    public var nextAttempt: Timestamp
    /// How many people were found unreachable before this one was asked (stops an endless chain).
    public var hops = 0

    init(id: String, incident: String, to: String, kind: String, step: String?, reason: String, queuedAt: Timestamp,
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

    init?(_ e: Event) {
        let d = e.data
        guard let id = d["id"]?.stringValue, let incident = d["incident"]?.stringValue, let to = d["to"]?.stringValue,
              let kind = d["kind"]?.stringValue else { return nil }
        self.id = id
        self.incident = incident
        self.to = to
        self.kind = kind
        self.step = d["step"]?.stringValue
        self.reason = d["reason"]?.stringValue ?? ""
        self.queuedAt = e.time
        self.nextAttempt = e.time
        self.hops = Int(d["hops"]?.intValue ?? 0)
    }
}

/// Delivery outcomes as events, decided here so that who is told when someone cannot be reached follows the
/// roster's rules and is replayed exactly.
public enum Outbox {
    /// After this many people in a row could not be reached about one thing, nobody more is asked.
    static let maxHops = 3

    static func handle(_ command: Command, state: EngineState, now: Timestamp, context: EngineContext) -> Result<[Event], EngineError> {
        let id: String
        switch command {
        case .delivered(let n, _, _), .deliveryFailed(let n, _, _, _): id = n
        default: return .failure(EngineError(.invalidState, "not a delivery"))
        }
        guard let pending = state.outbox[id], let incident = state.incidents[pending.incident] else {
            return .failure(EngineError(.invalidState, "notification \(id) is not waiting to be delivered"))
        }
        var d = IncidentDraft(incident, now: now, actor: "firebreakd")
        switch command {
        case .delivered(_, let channel, let digest):
            var data: [String: JSONValue] = ["id": .string(id), "to": .string(pending.to), "channel": .string(channel),
                                             "attempt": .int(Int64(pending.attempts + 1))]
            if let digest { data["digest"] = .string(digest) }
            d.emit(EventType.notificationSent, data)
        case .deliveryFailed(_, let attempt, let error, let retryAt):
            var data: [String: JSONValue] = ["id": .string(id), "to": .string(pending.to), "attempt": .int(Int64(attempt)),
                                             "error": .string(error)]
            if let retryAt {
                data["retry_at"] = .string(retryAt.rfc3339)
                d.emit(EventType.notificationFailed, data)
            } else {
                let next = nextPerson(after: pending, incident: incident, roster: context.roster, now: now)
                data["final"] = true
                data["escalated_to"] = next.map { .string($0) } ?? .null
                d.emit(EventType.notificationFailed, data)
                if let next {
                    d.notify(next, kind: "notification.unreachable", step: pending.step,
                             reason: "\(pending.to) could not be reached about \(pending.kind) for \(pending.incident) (\(error)): \(pending.reason)",
                             extra: ["hops": .int(Int64(pending.hops + 1)), "about": .string(id)])
                }
            }
        default:
            break
        }
        return .success(d.events)
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
        let d = e.data
        switch e.type {
        case EventType.notification:
            if let p = PendingNotification(e) { outbox[p.id] = p }
        case EventType.notificationSent:
            if let id = d["id"]?.stringValue { outbox[id] = nil }
        case EventType.notificationFailed:
            guard let id = d["id"]?.stringValue else { return }
            if d["final"]?.boolValue == true {
                outbox[id] = nil
            } else if let retry = d["retry_at"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) {
                outbox[id]?.attempts = Int(d["attempt"]?.intValue ?? 0)
                outbox[id]?.nextAttempt = retry
            }
        default:
            break
        }
    }
}
