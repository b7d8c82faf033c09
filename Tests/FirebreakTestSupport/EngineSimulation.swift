import FirebreakConfig
import FirebreakCore
import Foundation

/// The repository's playbooks and example roster, loaded as the daemon would.
let shipped: ConfigFiles.Loaded = ConfigFiles.load(playbooks: TestPaths.repoRoot + "/Playbooks", roster: TestPaths.repoRoot + "/Playbooks/roster.example.yaml")

func ts(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

/// A simulated engine: commands at a clock the test moves, every event applied as the daemon would after
/// journaling it, and the full event log kept so a replay can be compared with what was built live.
struct Sim {
    /// Fires every deadline of `state` due by `until`, in order, applying what each makes; returns the events.
    func fireAll(_ state: inout EngineState, until: Timestamp) -> [Event] {
        var fired: [Event] = []
        while let d = state.nextDeadline(), d.time <= until {
            fired += Engine.dueEvents(state: &state, now: d.time, context: context)
        }
        return fired
    }

    var state = EngineState()
    var now: Timestamp
    let context: EngineContext
    var log: [Event] = []

    init(now: Timestamp, context: EngineContext = EngineContext(playbooks: shipped.playbooks, roster: shipped.roster!)) {
        self.now = now
        self.context = context
    }

    func actor(_ id: String) -> Actor {
        if id == Actor.daemon.id { return .daemon }
        if let p = context.roster.people[id] { return Actor(id: p.id, access: context.roster.access(of: p.id)) }
        return Actor(id: id, access: .reporter)
    }

    @discardableResult
    mutating func run(_ command: Command, by who: String) throws -> [Event] {
        let events = try Engine.handle(command, by: actor(who), state: &state, now: now, context: context).get()
        log += events
        return events
    }

    mutating func apply(_ events: [Event]) {
        for e in events { state.apply(e) }
        log += events
    }

    /// Moves the clock to `t`, firing every deadline on the way, at its own time.
    @discardableResult
    mutating func advance(to t: Timestamp) -> [Event] {
        var fired: [Event] = []
        while let next = state.nextDeadline(), next.time <= t {
            now = max(now, next.time)
            let events = Engine.dueEvents(state: &state, now: now, context: context)
            log += events
            fired += events
        }
        now = t
        return fired
    }

    @discardableResult
    mutating func advance(by span: TimeSpan) -> [Event] { advance(to: now + span) }

    func incident(_ id: String) -> IncidentState { state.incidents[id]! }

    /// The state rebuilt from the events as the journal gives them back: their data written and parsed again,
    /// so nothing the engine kept beside the data (an opened incident's plan object) is used.
    func replayed() -> EngineState {
        var s = EngineState()
        for e in log { s.apply(Self.readBack(e)) }
        return s
    }

    static func readBack(_ e: Event) -> Event {
        var bytes: [UInt8] = []
        JSONWriter.write(e.data, into: &bytes)
        return Event(time: e.time, type: e.type, actor: e.actor, data: try! JSONParser.parse(bytes))
    }
}

extension Array where Element == Event {
    func ofType(_ type: String) -> [Event] { filter { $0.type == type } }
}
