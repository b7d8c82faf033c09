import HashTreeCollections
import HeapModule

/// Everything the engine knows: a fold of the journal's events. `apply` is the only way it changes (apart from
/// the deadline queue, a cache of when to look next), so replaying a journal rebuilds exactly what live
/// operation built.
public struct EngineState: Sendable {
    public internal(set) var incidents: [String: IncidentState] = [:]
    /// Active (open or acknowledged) incident per canonical post address.
    public internal(set) var activeByURL: [String: String] = [:]

    /// Open or acknowledged incidents. At most one is active per post (reports join it, reopening refuses a
    /// second), so this is the size of `activeByURL`, not a walk over every incident.
    public var activeIncidentCount: Int { activeByURL.count }
    /// The latest incident per canonical address, active or not, to link a new one to.
    public internal(set) var latestByURL: [String: String] = [:]
    /// Intake keys (a spool file's identity, a request id) already applied, and the incident each went to.
    public internal(set) var reportKeys: [String: String] = [:]
    /// Notifications asked for and not yet delivered, by id (see `Outbox`).
    /// A persistent (hash-trie) map, so that the notifier can walk the outbox as it was while the desk changes
    /// it: a change then copies a path of the trie, not the whole outbox (tens of thousands of entries while a
    /// burst is held for a digest).
    public internal(set) var outbox: TreeDictionary<String, PendingNotification> = [:]
    /// Overrides made with `firebreak override` (the roster file's are in the roster), oldest first.
    public internal(set) var overrides: [Roster.Override] = []
    public internal(set) var incidentCount = 0
    public internal(set) var reportCount = 0
    /// Plans shared between incidents (see `Plan`).
    var plans: [Plan] = []
    /// When to look at which incident next. Entries go stale as steps finish; `nextDeadline` and `collectDue`
    /// drop stale ones, so the queue never needs searching: O(log n) to arm and to find the next.
    private var queue = Heap<Deadline>()

    public init() {}

    /// 16 bytes: a million of them fit in 16 MB.
    public struct Deadline: Sendable, Hashable, Comparable {
        public let time: Timestamp
        let number: Int32
        /// -1: the incident's acknowledgement deadline.
        let stepIndex: Int16

        public var incident: String { EngineState.incidentID(Int(number)) }
        public var step: Int? { stepIndex < 0 ? nil : Int(stepIndex) }

        init(time: Timestamp, number: Int32, step: Int?) {
            self.time = time
            self.number = number
            self.stepIndex = Int16(step ?? -1)
        }

        public static func < (a: Deadline, b: Deadline) -> Bool {
            (a.time, a.number, a.stepIndex) < (b.time, b.number, b.stepIndex)
        }
    }

    public static func incidentID(_ n: Int) -> String { "INC-\(n)" }

    /// An incident id as people type it: "inc-42", "INC-42", " 42 " and "#42" all mean INC-42. Anything else is
    /// returned as given, to be refused as an unknown incident with its own spelling.
    public static func canonicalIncidentID(_ typed: String) -> String {
        var s = Substring(typed.trimmingCharacters(in: .whitespaces))
        if s.first == "#" { s = s.dropFirst() }
        if s.count > 4, s.prefix(4).uppercased() == "INC-" { s = s.dropFirst(4) }
        guard !s.isEmpty, s.allSatisfy(\.isASCII), let n = Int32(s), n > 0 else { return typed }
        return incidentID(Int(n))
    }

    /// The number in an incident id ("INC-42" → 42).
    static func incidentNumber(_ id: String) -> Int32? {
        guard id.hasPrefix("INC-") else { return nil }
        return Int32(id.dropFirst(4))
    }
    public static func reportID(_ n: Int) -> String { "RPT-\(n)" }

    // MARK: Applying events

    /// Applies one event. Unknown types and events about unknown incidents change nothing (newer daemons may
    /// write types an older one does not know).
    public mutating func apply(_ e: Event) {
        switch e.body {
        case .rosterOverride(let o):
            overrides.append(Roster.Override(role: o.role, person: o.person, from: o.from, until: o.until, reason: o.reason))
            return
        case .incidentOpened(let o):
            open(o, at: e.time)
            return
        default:
            break
        }
        guard let id = e.incident, incidents[id] != nil else { return }
        applyToOutbox(e)
        incidents[id]!.apply(e)  // in place: no copy of the incident's steps
        let inc = incidents[id]!
        switch e.body {
        case .reportReceived(let r):
            reportCount += 1
            if let key = r.key { reportKeys[key] = id }
        case .incidentResolved, .incidentClosed:
            if activeByURL[inc.canonicalURL] == id { activeByURL[inc.canonicalURL] = nil }
        case .incidentReopened:
            if activeByURL[inc.canonicalURL] == nil { activeByURL[inc.canonicalURL] = id }
        default:
            break
        }
        // Arm only what the event can have moved: one step's next deadline, the acknowledgement's, or (reopened,
        // raised) the whole incident's. Other events leave deadlines where they were.
        switch e.body {
        case .incidentReopened, .severityRaised:
            armAll(id)
        case .stepReady, .stepReminded, .stepMissed:
            if let i = e.step.flatMap({ inc.stepIndex($0) }) { arm(id, step: i) }
        case .escalation(let x) where !x.manual:
            arm(id, step: x.step.flatMap { inc.stepIndex($0) })
        case .ackMissed:
            arm(id, step: nil)
        default:
            break
        }
    }

    private mutating func open(_ o: IncidentOpened, at time: Timestamp) {
        let plan = intern(o.plan.plan)
        let steps = plan.steps.map { s in
            StepState(status: (s.when.map { o.severity >= $0 } ?? true) ? .waiting : .inactive, due: time + s.due)
        }
        let incident = IncidentState(
            id: o.incident, url: o.url, canonicalURL: o.canonicalURL, platform: o.platform, category: o.category,
            plan: plan, severity: o.severity, status: .open, openedAt: time,
            ackDue: o.ackDue, steps: steps, linkedTo: o.linkedTo)
        incidents[o.incident] = incident
        activeByURL[o.canonicalURL] = o.incident
        latestByURL[o.canonicalURL] = o.incident
        incidentCount += 1
        arm(o.incident, step: nil)
    }

    private mutating func intern(_ plan: Plan) -> Plan {
        if let same = plans.first(where: { $0 == plan }) { return same }
        plans.append(plan)
        return plan
    }

    // MARK: Deadlines

    /// Queues the next deadline of one step (or, for nil, of the acknowledgement).
    private mutating func arm(_ id: String, step: Int?) {
        guard let inc = incidents[id], inc.isActive, let number = EngineState.incidentNumber(id) else { return }
        let due = step.map { Deadlines.step(inc, $0) } ?? Deadlines.ack(inc)
        if let due { queue.insert(Deadline(time: due.time, number: number, step: step)) }
    }

    private mutating func armAll(_ id: String) {
        guard let inc = incidents[id] else { return }
        arm(id, step: nil)
        for i in inc.steps.indices { arm(id, step: i) }
    }

    /// Re-queues an incident's deadlines, after events about it could not be made durable (so they were never
    /// applied, and the deadlines `collectDue` took off the queue must come back).
    public mutating func rearm(_ ids: some Sequence<String>) {
        for id in ids { armAll(id) }
    }

    private func isCurrent(_ d: Deadline) -> Deadlines.Due? {
        guard let inc = incidents[d.incident], inc.isActive else { return nil }
        if let i = d.step, i >= inc.steps.count { return nil }
        let due = d.step.map { Deadlines.step(inc, $0) } ?? Deadlines.ack(inc)
        guard let due, due.time == d.time else { return nil }
        return due
    }

    /// The earliest deadline still pending, dropping stale queue entries on the way.
    public mutating func nextDeadline() -> Deadline? {
        while let top = queue.min {
            if isCurrent(top) != nil { return top }
            _ = queue.popMin()
        }
        return nil
    }

    /// Takes every deadline at or before `now` off the queue, with what fell due. The caller turns them into
    /// events (`Engine.dueEvents`), journals and applies them, which arms the next deadlines.
    public mutating func takeDue(at now: Timestamp) -> [(Deadline, Deadlines.Due)] {
        var out: [(Deadline, Deadlines.Due)] = []
        var seen = Set<Deadline>()
        while let top = queue.min, top.time <= now {
            _ = queue.popMin()
            if let due = isCurrent(top), seen.insert(top).inserted { out.append((top, due)) }
        }
        return out
    }

    /// Entries in the deadline queue, stale ones included (for the benchmark and memory figures).
    public var queuedDeadlines: Int { queue.count }
    public var distinctPlans: Int { plans.count }
}

extension EngineState: Equatable {
    /// Equal when they hold the same incidents and indexes; the deadline queue is a cache whose stale entries
    /// differ between a live run and a replay, so it is compared through `nextDeadline` by the tests instead.
    public static func == (a: EngineState, b: EngineState) -> Bool {
        a.incidents == b.incidents && a.activeByURL == b.activeByURL && a.latestByURL == b.latestByURL
            && a.reportKeys == b.reportKeys && a.outbox == b.outbox && a.overrides == b.overrides && a.incidentCount == b.incidentCount && a.reportCount == b.reportCount
    }
}
