/// An incident as the journal's records have built it.
public struct IncidentState: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable { case open, acknowledged, resolved, closed }

    public var id: String
    public var url: String
    public var canonicalURL: String
    public var platform: String?
    public var category: String?
    /// The playbook's plan as it was when the incident opened, shared by every incident opened from it.
    /// (Why it was chosen is in the journal's `incident.opened` record, not kept here.)
    public var plan: Plan
    public var severity: Severity
    public var status: Status
    public var openedAt: Timestamp
    public var acknowledgedAt: Timestamp?
    public var resolvedAt: Timestamp?
    public var closedAt: Timestamp?
    public var summary: String?
    public var ackDue: Timestamp
    public var ackMissed = false
    public var ackEscalations = 0
    /// Reports attached (their ids and texts are in the journal's `report.received` records).
    public var reportCount = 0
    /// Distinct reporters, in the order they first reported: each counts once however often they report.
    /// An array, not a set: incidents have few reporters, and a set's storage costs more than the search.
    public var reporters: [String] = []
    /// Every distinct file handed in with its reports (who may fetch one is checked against this).
    public var evidence: [Evidence] = []
    public var views: Int64 = 0
    public var shares: Int64 = 0
    /// In the plan's order: `steps[i]` is `plan.steps[i]`.
    public var steps: [StepState]
    public var linkedTo: String?
    public var noteCount = 0
    /// Notifications asked for so far: numbers each one (`INC-4.n3`), the outbox's key.
    public var notificationCount = 0
    /// The first report's text, shortened, for notifications (the whole text stays in the journal).
    public var postText: String?

    public var isActive: Bool { status == .open || status == .acknowledged }

    /// Steps of an active incident that are overdue at `now` (none once it is resolved).
    public func overdueSteps(at now: Timestamp) -> [Int] {
        isActive ? steps.indices.filter { steps[$0].isOverdue(at: now) } : []
    }

    public var playbook: String { plan.playbook }

    public func stepIndex(_ id: String) -> Int? { plan.steps.firstIndex { $0.id == id } }

    /// Applies an event about this incident (all but `incident.opened`, which creates it).
    public mutating func apply(_ e: Event) {
        switch e.body {
        case .reportReceived(let r):
            reportCount += 1
            if let who = r.reporter, !reporters.contains(who) { reporters.append(who) }
            if let v = r.views { views = max(views, v) }
            if let s = r.shares { shares = max(shares, s) }
            if postText == nil, let t = r.text, !t.isEmpty { postText = IncidentState.shorten(t, to: 140) }
            for item in r.evidence where !evidence.contains(where: { $0.sha256 == item.sha256 }) { evidence.append(item) }
        case .severityRaised(let r):
            if let to = r.to { severity = to }
            for s in r.activated {
                if let i = self.stepIndex(s), steps[i].status == .inactive {
                    steps[i].status = .waiting
                    steps[i].due = e.time + plan.steps[i].due
                }
            }
        case .stepReady(let r):
            if let i = stepIndex(r.step) {
                steps[i].status = .ready
                steps[i].owner = r.owner
                steps[i].readyAt = e.time
                if plan.steps[i].dueAfterReady, let due = r.due { steps[i].due = due }
            }
        case .stepAcknowledged(let r):
            if let i = stepIndex(r.step), steps[i].status == .ready { steps[i].status = .acknowledged }
        case .stepDone(let r):
            if let i = stepIndex(r.step) {
                steps[i].status = .done
                steps[i].finishedAt = e.time
                if r.doneFor != nil {
                    steps[i].owner = e.actor
                    steps[i].doneByOther = true
                }
            }
        case .stepSkipped(let r):
            if let i = stepIndex(r.step) {
                steps[i].status = .skipped
                steps[i].finishedAt = e.time
            }
        case .stepAssigned(let r):
            if let i = stepIndex(r.step) { steps[i].owner = r.to }
        case .stepReminded(let r):
            if let i = stepIndex(r.step) { steps[i].reminded = true }
        case .stepMissed(let r):
            if let i = stepIndex(r.step) { steps[i].missed = true }
        case .escalation(let r):
            guard !r.manual else { break }  // a person escalating does not move the automatic ladder
            if let i = r.step.flatMap({ stepIndex($0) }) { steps[i].escalations += 1 } else { ackEscalations += 1 }
        case .incidentAcknowledged:
            if status == .open {
                status = .acknowledged
                acknowledgedAt = e.time
            }
        case .ackMissed:
            ackMissed = true
        case .incidentResolved(let r):
            status = .resolved
            resolvedAt = e.time
            summary = r.summary
        case .incidentClosed:
            status = .closed
            closedAt = e.time
        case .incidentReopened:
            status = acknowledgedAt == nil ? .open : .acknowledged
            resolvedAt = nil
            closedAt = nil
        case .note:
            noteCount += 1
        case .notificationRequested:
            notificationCount += 1
        default:
            break
        }
    }

    /// At most `limit` characters, cut at a word where one is near, with an ellipsis.
    public static func shorten(_ text: String, to limit: Int) -> String {
        let flat = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        guard flat.count > limit else { return flat }
        var cut = String(flat.prefix(limit - 1))
        if let space = cut.lastIndex(of: " "), cut.distance(from: space, to: cut.endIndex) < 20 { cut = String(cut[..<space]) }
        return cut + "…"
    }
}

/// A playbook's plan as recorded when an incident opened. Immutable and shared: replaying a hundred thousand
/// incidents of the same playbook keeps one copy of its titles and instructions, not a hundred thousand.
public final class Plan: Sendable, Hashable {
    public let playbook: String
    public let title: String
    public let steps: [StepPlan]
    public let escalation: EscalationPolicy
    public let raise: [SeverityRule]

    public init(playbook: String, title: String, steps: [StepPlan], escalation: EscalationPolicy, raise: [SeverityRule]) {
        self.playbook = playbook
        self.title = title
        self.steps = steps
        self.escalation = escalation
        self.raise = raise
    }

    public static func == (a: Plan, b: Plan) -> Bool {
        a === b || (a.playbook == b.playbook && a.title == b.title && a.steps == b.steps && a.escalation == b.escalation && a.raise == b.raise)
    }

    public func hash(into h: inout Hasher) {
        h.combine(playbook)
        h.combine(steps.count)
    }
}

/// A step of an incident.
public struct StepState: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// Not part of the response at the incident's severity (its `when` is higher).
        case inactive
        /// Waiting for the steps it comes after.
        case waiting
        case ready
        case acknowledged
        case done
        case skipped
    }

    public var status: Status
    public var owner: String?
    public var due: Timestamp
    // Optional times as milliseconds with a sentinel, and no notes (they are in the journal): a step is 48
    // bytes instead of 88, which matters at a hundred thousand open incidents of nine steps.
    private var readyAtMs: Int64 = .min
    private var finishedAtMs: Int64 = .min
    /// Escalation levels (then repeats) already told.
    public var escalations: Int32 = 0
    public var reminded = false
    public var missed = false
    /// Done by someone other than its owner; `owner` then names who did it (the one credited), and the
    /// journal's `step.done` says whose it was (`done_for`).
    public var doneByOther = false

    public init(status: Status, due: Timestamp) {
        self.status = status
        self.due = due
    }

    public var readyAt: Timestamp? {
        get { readyAtMs == .min ? nil : Timestamp(millisecondsSinceEpoch: readyAtMs) }
        set { readyAtMs = newValue?.millisecondsSinceEpoch ?? .min }
    }

    public var finishedAt: Timestamp? {
        get { finishedAtMs == .min ? nil : Timestamp(millisecondsSinceEpoch: finishedAtMs) }
        set { finishedAtMs = newValue?.millisecondsSinceEpoch ?? .min }
    }

    public var isOpen: Bool { status == .ready || status == .acknowledged }
    /// Open and past its deadline.
    public func isOverdue(at now: Timestamp) -> Bool { isOpen && due < now }
    public var isFinished: Bool { status == .done || status == .skipped }
}
