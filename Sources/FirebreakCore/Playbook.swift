/// A response plan for one kind of problem post: which reports it takes, how severe it starts, who does what
/// by when, and how missed deadlines escalate. Parsed from `Playbooks/*.yaml` (docs/playbooks.md).
public struct Playbook: Sendable, Hashable {
    public var id: String
    public var title: String
    public var description: String?
    public var match: Match
    public var severity: Severity
    /// The incident as a whole must be acknowledged this long after it opens.
    public var acknowledge: TimeSpan
    public var escalation: EscalationPolicy
    public var raise: [SeverityRule]
    public var steps: [StepPlan]
    /// Where it was read from, for messages.
    public var file: String

    public init(id: String, title: String, description: String?, match: Match, severity: Severity, acknowledge: TimeSpan,
                escalation: EscalationPolicy, raise: [SeverityRule], steps: [StepPlan], file: String) {
        self.id = id
        self.title = title
        self.description = description
        self.match = match
        self.severity = severity
        self.acknowledge = acknowledge
        self.escalation = escalation
        self.raise = raise
        self.steps = steps
        self.file = file
    }

    public struct Match: Sendable, Hashable {
        public var categories: Set<ReportCategory> = []
        /// Lowercased; a keyword of several words matches those words in a row.
        public var keywords: [String] = []
        public var platforms: Set<String> = []
        /// Takes any report no other playbook matches (general triage).
        public var fallback = false

        public init(categories: Set<ReportCategory> = [], keywords: [String] = [], platforms: Set<String> = [], fallback: Bool = false) {
            self.categories = categories
            self.keywords = keywords.map { Keywords.normalise($0) }
            self.platforms = platforms
            self.fallback = fallback
        }

        /// How many kinds of criteria it names: more is more specific.
        public var specificity: Int {
            (categories.isEmpty ? 0 : 1) + (keywords.isEmpty ? 0 : 1) + (platforms.isEmpty ? 0 : 1)
        }
    }
}

/// One step of a playbook, as planned: who (a role) does what, due how long after the incident opens.
public struct StepPlan: Sendable, Hashable {
    public var id: String
    public var title: String
    public var owner: String
    public var due: TimeSpan
    public var after: [String]
    /// Only part of the response at this severity or worse.
    public var when: Severity?
    public var remindBefore: TimeSpan?
    public var instructions: String?
    /// `due_after: ready`: the deadline counts from when the step becomes ready, so a late step before it does
    /// not make its owner late on arrival. The default (`opening`) counts from the incident's opening.
    public var dueAfterReady: Bool

    public init(id: String, title: String, owner: String, due: TimeSpan, after: [String] = [], when: Severity? = nil,
                remindBefore: TimeSpan? = nil, instructions: String? = nil, dueAfterReady: Bool = false) {
        self.dueAfterReady = dueAfterReady
        self.id = id
        self.title = title
        self.owner = owner
        self.due = due
        self.after = after
        self.when = when
        self.remindBefore = remindBefore
        self.instructions = instructions
    }
}

/// Who is told when a deadline passes, after how long, and how often after that.
public struct EscalationPolicy: Sendable, Hashable {
    public enum Target: Sendable, Hashable, CustomStringConvertible {
        /// The person who owns the step (for the incident's acknowledgement: the first step's owner).
        case owner
        /// The backup of the owner's role.
        case backup
        /// The manager of the owner's role.
        case manager
        /// Whoever holds this role.
        case role(String)

        public init?(_ text: String) {
            switch text {
            case "owner": self = .owner
            case "backup": self = .backup
            case "manager": self = .manager
            default:
                guard text.hasPrefix("role:"), text.count > 5 else { return nil }
                self = .role(String(text.dropFirst(5)))
            }
        }

        public var description: String {
            switch self {
            case .owner: "owner"
            case .backup: "backup"
            case .manager: "manager"
            case .role(let r): "role:\(r)"
            }
        }
    }

    public struct Level: Sendable, Hashable {
        /// How long after the deadline this level is told.
        public var after: TimeSpan
        public var notify: Target
    }

    /// Remind the owner this long before a step's deadline (a step may set its own).
    public var remindBefore: TimeSpan?
    public var levels: [Level]
    /// After the last level, tell its target again this often…
    public var repeatEvery: TimeSpan?
    /// …at most this many times.
    public var maxRepeats: Int

    public static let standard = EscalationPolicy(
        remindBefore: .minutes(10),
        levels: [Level(after: .zero, notify: .owner), Level(after: .minutes(15), notify: .backup), Level(after: .minutes(30), notify: .manager)],
        repeatEvery: .hours(1), maxRepeats: 3)
}

/// Raises an incident's severity when a report shows the post is reaching people.
public struct SeverityRule: Sendable, Hashable {
    public enum Measure: String, Sendable, Hashable, CaseIterable {
        case views, shares, reporters
    }

    public var measure: Measure
    public var atLeast: Int64
    public var to: Severity
}
