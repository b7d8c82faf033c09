import FirebreakCore
import FirebreakProtocol
import FirebreakReview
import HashTreeCollections

/// What the desk answers without deciding anything: views of the state for the socket, the web pages and the
/// notifier, and the records of one incident for its review. Nothing here changes the state.
extension Desk {
    /// The outbox as it is now: a copy that costs nothing here (a persistent map), for the notifier to walk on
    /// its own time.
    public var outbox: TreeDictionary<String, PendingNotification> { state.outbox }

    public var activeIncidents: Int { state.activeIncidentCount }

    public func incident(_ id: String) -> IncidentState? { state.incidents[id] }

    /// Several incidents in one visit (a digest's).
    public func incidents(_ ids: some Sequence<String> & Sendable) -> [String: IncidentState] {
        var found: [String: IncidentState] = [:]
        for id in ids { found[id] = state.incidents[id] }
        return found
    }

    /// One page of the incidents `actor` may see that match `filter`, newest first, as their views
    /// (`IncidentSearch`). Throws when the page's cursor names no incident.
    public func incidents(for actor: Actor, _ filter: IncidentFilter) throws(EngineError) -> [JSONValue] {
        let now = clock()
        var cursor: IncidentState?
        if let id = filter.before ?? filter.after {
            guard let inc = state.incidents[id], Visibility.maySee(inc, actor: actor) else {
                throw EngineError(.unknownIncident, "there is no incident \(id) that you can see to page from")
            }
            cursor = inc
        }
        return IncidentSearch.page(state.incidents.values, index: index, filter: filter, actor: actor, cursor: cursor, now: now)
            .map { IncidentView.json($0, for: actor, now: now) }
    }

    /// Whether a spool file name was taken as a report (its intake key is known).
    public func spoolKeys(_ names: [String]) -> [String: String] {
        var found: [String: String] = [:]
        for n in names { if let id = state.reportKeys["spool:" + n] { found["spool:" + n] = id } }
        return found
    }

    /// Who holds which role now and next, journaled overrides included.
    public func onCall(role: String?) -> [JSONValue] {
        OnCallView.json(context.withOverrides(state.overrides).roster, roles: role, now: clock())
    }

    /// Incidents `actor`'s reports went to.
    public func reported(by actor: Actor) -> [IncidentState] {
        state.incidents.values.filter { $0.reporters.contains(actor.id) }
    }

    public func view(_ id: String, for actor: Actor) throws(EngineError) -> JSONValue {
        guard let inc = state.incidents[id], Visibility.maySee(inc, actor: actor) else {
            throw EngineError(.unknownIncident, "there is no incident \(id) that you can see; `firebreak incidents` lists them")
        }
        return IncidentView.json(inc, for: actor, now: clock())
    }


    public func now() -> Timestamp { clock() }

    /// Open steps past their deadline now.
    public func overdueStepCount() -> Int {
        let now = clock()
        return state.incidents.values.reduce(0) { $0 + $1.overdueSteps(at: now).count }
    }

    /// Every incident (for metrics).
    public func allIncidents() -> [IncidentState] { Array(state.incidents.values) }

    /// The incident's records and the signed checkpoint that seals them, read from the journal at the places the
    /// index holds (`IncidentRecords`): what is durable now, and nothing else of the journal. The reads run off the desk.
    public func reviewRecords(_ id: String) async throws -> (IncidentState, [ReviewRecord], ReviewRecord?)? {
        guard let inc = state.incidents[id], let places = index.places[id], let last = places.last else { return nil }
        let directory = journal.directory, checkpoint = index.checkpoint(after: last)
        let found: Result<IncidentRecords.Found, any Error> = await BlockingWork.run {
            Result { try IncidentRecords.read(journal: directory, incident: id, places: places, checkpoint: checkpoint) }
        }
        let read = try found.get()
        return (inc, read.records, read.checkpoint)
    }
}
