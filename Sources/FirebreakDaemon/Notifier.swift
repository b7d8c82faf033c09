import FirebreakCore
import Logging
import ServiceLifecycle

/// Delivers the outbox: every notification the engine asked for goes to the person's channels in their order of
/// preference, and how that went is journaled (`notification.sent`, or `notification.failed` with the time of
/// the next attempt). Back-off is exponential with jitter; after the last attempt the engine tells the backup.
/// A burst for one person becomes a digest: after a message to someone, what else comes for them within
/// `digest_seconds` is held and sent together. Every notification is also a structured journald record.
public struct NotificationService: Service {
    let desk: Desk
    let settings: NotificationSettings
    let content: NotificationContent
    let clock: @Sendable () -> Timestamp
    let logger: Logger

    public init(desk: Desk, settings: NotificationSettings, content: NotificationContent, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.desk = desk
        self.settings = settings
        self.content = content
        self.clock = clock
        self.logger = logger
    }

    static let minimumInterval = Duration.milliseconds(50)

    public func run() async throws {
        let channels = Channels(settings: settings)
        if !channels.emailPossible {
            logger.warning("notifications: no SMTP relay (notifications.smtp) and no \(settings.sendmail): email contacts are skipped; people without another channel are notified in journald only")
        }
        let window = TimeSpan(milliseconds: Int64(settings.digestSeconds * 1000))
        await cancelWhenGracefulShutdown {
            var lastSent: [String: Timestamp] = [:]
            // Outcomes the journal could not take (a full disk): journaled again each turn, and their
            // notifications are not sent again meanwhile.
            var unrecorded: [String: Command] = [:]
            var lastScan = ContinuousClock.now - .seconds(1)
            var interval = Self.minimumInterval
            while !Task.isCancelled {
                // The desk wakes us on every batch it journals; under a stream of reports that is hundreds of
                // times a second, and each look walks the whole outbox (off the desk). Look at most every 50 ms,
                // and at most 1/20 of the time (a burst held for a digest makes the outbox long): people are told
                // no later for it in practice, and ingest does not slow as the outbox grows.
                let sinceLast = ContinuousClock.now - lastScan
                if sinceLast < interval { try? await Task.sleep(for: interval - sinceLast) }
                lastScan = ContinuousClock.now
                if !unrecorded.isEmpty { unrecorded = await record(unrecorded) }
                let now = clock()
                var groups: [String: [PendingNotification]] = [:]
                var heldUntil: Timestamp?
                let due = Outbox.due(in: await desk.outbox, by: now)
                interval = max(Self.minimumInterval, (ContinuousClock.now - lastScan) * 20)
                for p in due where unrecorded[p.id] == nil {
                    // Held for a digest: a first attempt for someone told less than a window ago. An
                    // escalation or an unacknowledged incident is never held: it is the message that matters.
                    if p.attempts == 0, !NotificationContent.urgent.contains(p.kind), window.milliseconds > 0,
                       let last = lastSent[p.to], now < last + window {
                        heldUntil = min(heldUntil ?? (last + window), last + window)
                        continue
                    }
                    groups[p.to, default: []].append(p)
                }
                let outcomes = await withTaskGroup(of: (person: String, delivered: Bool, outcomes: [String: Command]).self) { group in
                    for (person, items) in groups {
                        group.addTask { await deliver(items, to: person, channels: channels, now: now) }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                for o in outcomes where o.delivered { lastSent[o.person] = now }
                unrecorded.merge(await record(outcomes.reduce(into: [:]) { $0.merge($1.outcomes) { a, _ in a } })) { a, _ in a }
                let next = [Outbox.nextAttempt(in: await desk.outbox, after: now), heldUntil].compactMap { $0 }.min()
                var waitMs = next.map { max(1, min(60_000, (($0 - clock()).milliseconds))) } ?? 60_000
                if !unrecorded.isEmpty { waitMs = max(waitMs, 1000) }  // the journal is failing: do not spin
                await desk.notifierWakeup.sleep(for: .milliseconds(waitMs))
            }
        }
    }

    /// One person's due notifications, as one message or a digest, on their first channel that takes it.
    /// Returns whether it was delivered, and the outcome to journal for each notification.
    private func deliver(_ items: [PendingNotification], to person: String, channels: Channels, now: Timestamp) async
        -> (person: String, delivered: Bool, outcomes: [String: Command]) {
        let roster = desk.roster
        // A digest lists the first `digestListLimit` and counts the rest: a message of thousands of entries
        // helps nobody, and rendering it took cores from the deadlines.
        let listed = Array(items.prefix(Self.digestListLimit))
        let incidents = await desk.incidents(Set(listed.map(\.incident)))
        let values = listed.map { content.values($0, incident: incidents[$0.incident], now: now) }
        let message: OutgoingMessage
        let digest: String?
        if items.count == 1 {
            digest = nil
            message = OutgoingMessage(id: items[0].id, subject: content.render("subject", values[0]), text: content.render("message", values[0]),
                                      action: (values[0]["act_link"] as? String).map { ($0, values[0]["act_label"] as? String ?? "Act") },
                                      json: Self.json(items[0], values[0]))
        } else {
            let id = "digest-\(person)-\(now.millisecondsSinceEpoch)"
            digest = id
            let more = items.count - listed.count
            var context: [String: Any] = ["count": items.count, "person": person, "items": values]
            if more > 0 { context["more"] = more }
            let text = content.render("digest", context)
            message = OutgoingMessage(id: id, subject: "[Firebreak] \(items.count) notifications", text: text,
                                      json: ["id": .string(id), "digest": .array(zip(listed, values).map { Self.json($0, $1) }),
                                             "count": .int(Int64(items.count)), "more": .int(Int64(more)), "text": .string(text)])
        }
        let contacts = roster.people[person]?.contacts ?? []
        var errors: [String] = []
        var channel: String?
        for contact in contacts {
            switch await channels.deliver(message, channel: contact.channel, address: contact.address) {
            case .delivered: channel = contact.channel
            case .failed(let why): errors.append("\(contact.channel): \(why)")
            case .notApplicable: continue
            }
            if channel != nil { break }
        }
        let failedAt = clock()
        // Nobody can be reached on any channel this daemon can use: journald is where it is delivered.
        if channel == nil && errors.isEmpty { channel = "journald" }
        var outcomes: [String: Command] = [:]
        // Every item, listed or only counted in a digest, has its outcome.
        for p in items {
            let meta: Logger.Metadata = ["incident": .string(p.incident), "notification_id": .string(p.id), "to": .string(person),
                                         "kind": .string(p.kind.rawValue), "channel": .string(channel ?? "none"), "step": .string(p.step ?? "")]
            if let channel {
                logger.info("notified \(person) (\(channel)): \(NotificationContent.headlines[p.kind] ?? p.kind.rawValue) — \(p.incident): \(p.reason)",
                            metadata: MessageID.meta(MessageID.notificationSent, meta))
                outcomes[p.id] = .delivered(notification: p.id, channel: channel, digest: digest)
            } else {
                let attempt = p.attempts + 1
                // Backed off from when the attempt failed, not from the turn's start: a slow first connection
                // would otherwise eat into the wait (seen: a retry 0.2 s after a failure with 0.3 s ±20 % set).
                let retryAt: Timestamp? = attempt < settings.maxAttempts
                    ? failedAt + settings.backoff(afterAttempt: attempt, unit: Double.random(in: 0..<1)) : nil
                let why = errors.joined(separator: "; ")
                logger.warning("could not notify \(person) about \(p.id) (attempt \(attempt)): \(why)\(retryAt.map { "; next try \($0.rfc3339)" } ?? "; unreachable, their backup is told")",
                               metadata: MessageID.meta(MessageID.notificationFailed, meta))
                outcomes[p.id] = .deliveryFailed(notification: p.id, attempt: attempt, error: why, retryAt: retryAt)
            }
        }
        return (person, channel != nil, outcomes)
    }

    /// Journals delivery outcomes, all at once so that the desk puts them in one sync; returns the ones the
    /// journal could not take. One the engine refuses (no longer waiting) is dropped, not retried.
    private func record(_ outcomes: [String: Command]) async -> [String: Command] {
        let pairs = Array(outcomes)
        let results = await desk.submitInBackground(pairs.map(\.value), by: .daemon)
        var unrecorded: [String: Command] = [:]
        for ((id, command), result) in zip(pairs, results) {
            guard case .failure(let error) = result, !(error is EngineError) else { continue }
            logger.error("could not journal the delivery outcome of \(id): \(error); it is journaled again, not sent again")
            unrecorded[id] = command
        }
        return unrecorded
    }

    /// How many notifications a digest lists one by one.
    static let digestListLimit = 50

    static func json(_ p: PendingNotification, _ values: [String: Any]) -> JSONValue {
        var o: [String: JSONValue] = ["id": .string(p.id), "kind": .string(p.kind.rawValue), "incident": .string(p.incident), "to": .string(p.to),
                                      "reason": .string(p.reason)]
        for key in ["headline", "incident_title", "severity", "step", "step_title", "owner", "due", "due_text", "due_relative", "post", "post_text", "command", "then_command", "link", "act_link", "act_label"] {
            if let s = values[key] as? String { o[key] = .string(s) }
        }
        return .object(o)
    }
}
