import FirebreakCore
import FirebreakJournal

/// The one place commands and deadlines change the state: the engine decides the events, the journal makes
/// them durable, and only then are they applied and answered. One command at a time: each is decided on the
/// state that includes every command before it, so incident numbers and the "same post" check never race.
public actor Desk {
    private var state: EngineState
    private var context: EngineContext
    private let journal: Journal
    private let clock: @Sendable () -> Timestamp
    let wakeup = Wakeup()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(state: EngineState, context: EngineContext, journal: Journal, clock: @escaping @Sendable () -> Timestamp) {
        self.state = state
        self.context = context
        self.journal = journal
        self.clock = clock
    }

    /// Decides, journals and applies a command. Throws `EngineError` (refused: nothing journaled) or
    /// `JournalError` (not durable: nothing applied).
    public func submit(_ command: Command, by actor: Actor) async throws -> [Event] {
        await enter()
        defer { leave() }
        let events = try Engine.handle(command, by: actor, state: state, now: clock(), context: context).get()
        try await commit(events)
        await wakeup.wake()
        return events
    }

    /// Journals and applies every deadline due now; returns how many events that made.
    @discardableResult
    public func fireDue() async throws -> Int {
        await enter()
        defer { leave() }
        let events = Engine.dueEvents(state: &state, now: clock(), context: context)
        guard !events.isEmpty else { return 0 }
        do {
            try await commit(events)
        } catch {
            state.rearm(Set(events.compactMap(\.incident)))
            throw error
        }
        return events.count
    }

    /// Journals a record that changes no state (a rejected report), in turn with the commands.
    public func record(type: String, actor: String, data: JSONValue) async throws {
        await enter()
        defer { leave() }
        _ = try await journal.append([JournalEntry(time: clock(), type: type, actor: actor, data: data)])
    }

    public func nextDeadline() -> Timestamp? { state.nextDeadline()?.time }

    public var activeIncidents: Int { state.activeIncidentCount }

    public func incident(_ id: String) -> IncidentState? { state.incidents[id] }

    /// Incidents `actor` may see, newest first, as their views.
    public func incidents(for actor: Actor, mine: Bool, openOnly: Bool, overdueOnly: Bool, limit: Int) -> [JSONValue] {
        let now = clock()
        let visible = state.incidents.values.filter { inc in
            guard Visibility.maySee(inc, actor: actor) else { return false }
            if openOnly && !inc.isActive { return false }
            if mine && !(inc.steps.contains { $0.owner == actor.id && $0.isOpen } || inc.reporters.contains(actor.id)) { return false }
            if overdueOnly && !(inc.isActive && inc.steps.contains { $0.isOpen && $0.due < now }) { return false }
            return true
        }
        return visible.sorted { $0.openedAt > $1.openedAt || ($0.openedAt == $1.openedAt && $0.id > $1.id) }
            .prefix(limit).map { IncidentView.json($0, for: actor, now: now) }
    }

    public func view(_ id: String, for actor: Actor) throws(EngineError) -> JSONValue {
        guard let inc = state.incidents[id], Visibility.maySee(inc, actor: actor) else {
            throw EngineError(.unknownIncident, "there is no incident \(id) that you can see; `firebreak incidents` lists them")
        }
        return IncidentView.json(inc, for: actor, now: clock())
    }

    public var roster: Roster { context.roster }

    /// New playbooks and roster (a reload); incidents already open keep the plan they opened with.
    public func replace(context: EngineContext) { self.context = context }

    private func commit(_ events: [Event]) async throws {
        _ = try await journal.append(events.map { JournalEntry(time: $0.time, type: $0.type, actor: $0.actor, data: $0.data) })
        for e in events { state.apply(e) }
    }

    private func enter() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
