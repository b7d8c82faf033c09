/// What a batch of events changed, so that the batch can be taken back when the journal could not make it
/// durable (a full disk). The daemon decides a batch of commands on a state with each earlier one applied, then
/// journals them in one append; keeping the old values of what they touched is far cheaper than copying the
/// whole state per batch, which would cost O(incidents) for every fsync.
public struct EngineUndo: Sendable {
    var incidents: [String: IncidentState?] = [:]
    var activeByURL: [String: String?] = [:]
    var latestByURL: [String: String?] = [:]
    var reportKeys: [String: String?] = [:]
    var outbox: [String: PendingNotification?] = [:]
    var counts: (incidents: Int, reports: Int, plans: Int)?
    var overrides: Int?

    public init() {}

    public var isEmpty: Bool { counts == nil }
    /// Incidents whose deadlines must be queued again after `revert`.
    public var touchedIncidents: Dictionary<String, IncidentState?>.Keys { incidents.keys }

    /// Adds what `later` kept for the values this undo has not kept yet: a command's own undo joins its batch's,
    /// whose earlier values win.
    public mutating func absorb(_ later: EngineUndo) {
        guard later.counts != nil else { return }
        // The first command of a batch: its undo is the batch's (no dictionaries merged). After it, the counts
        // and overrides kept are the batch's first, and stay.
        if counts == nil {
            self = later
            return
        }
        incidents.merge(later.incidents) { mine, _ in mine }
        activeByURL.merge(later.activeByURL) { mine, _ in mine }
        latestByURL.merge(later.latestByURL) { mine, _ in mine }
        reportKeys.merge(later.reportKeys) { mine, _ in mine }
        outbox.merge(later.outbox) { mine, _ in mine }
    }
}

extension EngineState {
    /// `apply`, keeping in `undo` the first value of everything the event may change (a superset is harmless).
    public mutating func apply(_ e: Event, undo: inout EngineUndo) {
        if undo.counts == nil { undo.counts = (incidentCount, reportCount, plans.count) }
        if undo.overrides == nil { undo.overrides = overrides.count }
        guard let id = e.incident else { return apply(e) }
        Self.keep(&undo.incidents, id, incidents[id])
        let canonical: String?
        if case .incidentOpened(let o) = e.body { canonical = o.canonicalURL } else { canonical = incidents[id]?.canonicalURL }
        if let canonical {
            Self.keep(&undo.activeByURL, canonical, activeByURL[canonical])
            Self.keep(&undo.latestByURL, canonical, latestByURL[canonical])
        }
        switch e.body {
        case .reportReceived(let r):
            if let key = r.key { Self.keep(&undo.reportKeys, key, reportKeys[key]) }
        default: break
        }
        if let n = e.outboxID { Self.keep(&undo.outbox, n, outbox[n]) }
        apply(e)
    }

    /// Puts back what `undo` kept. Deadlines taken off the queue for the batch come back with
    /// `rearm(undo.touchedIncidents)`; entries the batch queued go stale and are dropped when reached.
    public mutating func revert(_ undo: EngineUndo) {
        guard let counts = undo.counts else { return }
        for (k, v) in undo.incidents { incidents[k] = v }
        for (k, v) in undo.activeByURL { activeByURL[k] = v }
        for (k, v) in undo.latestByURL { latestByURL[k] = v }
        for (k, v) in undo.reportKeys { reportKeys[k] = v }
        for (k, v) in undo.outbox { outbox[k] = v }
        incidentCount = counts.incidents
        reportCount = counts.reports
        plans.removeLast(plans.count - counts.plans)
        if let n = undo.overrides { overrides.removeLast(overrides.count - n) }
        rearm(undo.touchedIncidents)
    }

    /// The value is read only the first time: one copy of an incident per batch, not one per event (six when
    /// an incident opens).
    private static func keep<V>(_ log: inout [String: V?], _ key: String, _ value: @autoclosure () -> V?) {
        if log.index(forKey: key) == nil { log[key] = .some(value()) }
    }
}
