import FirebreakCore

/// One request to the daemon, whichever way it comes: the command line over the control socket, a form on a
/// web page, or the web's JSON API. Each edge builds or decodes one of these, and the daemon answers it in one
/// place (ControlRequests), so an operation means the same and is refused the same way everywhere.
public enum ControlOperation: Sendable, Hashable {
    case whoami
    /// `key`: the same key twice is one report. `files`: the names of the evidence files passed with the
    /// request as descriptors, in order.
    case report(Report, key: String?, files: [String])
    case postmortem(incident: String)
    case metrics(since: Timestamp?, until: Timestamp?)
    case webLogin
    case evidence(incident: String, sha256: String)
    case incidents(IncidentFilter)
    case show(incident: String)
    /// `file`: the receipt for one spool file, by its name.
    case reports(file: String?)
    case onCall(role: String?)
    case override(role: String, person: String, until: Timestamp, reason: String?)
    case ack(incident: String, step: String?)
    case done(incident: String, step: String, note: String?)
    case skip(incident: String, step: String, reason: String)
    case assign(incident: String, step: String, to: String)
    case escalate(incident: String, step: String?, reason: String)
    case resolve(incident: String, summary: String, abandonOpenSteps: Bool)
    case close(incident: String, reason: String?)
    case reopen(incident: String, reason: String)
    case note(incident: String, text: String)

    /// An operation's name, as `op` on the socket and in `/api/OP`.
    public enum Name: String, CaseIterable, Sendable {
        case whoami, incidents, show, postmortem, metrics, report, webLogin = "web-login", evidence, reports
        case oncall, override, ack, done, skip, assign, escalate, resolve, close, reopen, note

        /// Whether it only reads: these are the ones `GET /api/OP` answers.
        public var isRead: Bool {
            switch self {
            case .whoami, .postmortem, .metrics, .incidents, .show: true
            default: false
            }
        }

        /// Only over the socket: a web session cannot mint sign-in links, and evidence comes back as a descriptor.
        public var isSocketOnly: Bool { self == .webLogin || self == .evidence }

        /// The only operation that takes files passed as descriptors.
        public var takesFiles: Bool { self == .report }

        /// The reads `GET /api/OP` answers, in the order the documentation lists them.
        public static var webReads: [Name] { allCases.filter(\.isRead) }
    }

    public var name: Name {
        switch self {
        case .whoami: .whoami
        case .report: .report
        case .postmortem: .postmortem
        case .metrics: .metrics
        case .webLogin: .webLogin
        case .evidence: .evidence
        case .incidents: .incidents
        case .show: .show
        case .reports: .reports
        case .onCall: .oncall
        case .override: .override
        case .ack: .ack
        case .done: .done
        case .skip: .skip
        case .assign: .assign
        case .escalate: .escalate
        case .resolve: .resolve
        case .close: .close
        case .reopen: .reopen
        case .note: .note
        }
    }

    /// The engine command this operation asks for, when it changes something. A report is not here: its
    /// command is made by the daemon, which stores its evidence files and keys it to the caller first.
    public var command: Command? {
        switch self {
        case .ack(let inc, let step): step.map { .acknowledgeStep(incident: inc, step: $0) } ?? .acknowledge(incident: inc)
        case .done(let inc, let step, let note): .completeStep(incident: inc, step: step, note: note)
        case .skip(let inc, let step, let reason): .skipStep(incident: inc, step: step, reason: reason)
        case .assign(let inc, let step, let to): .assignStep(incident: inc, step: step, to: to)
        case .escalate(let inc, let step, let reason): .escalate(incident: inc, step: step, reason: reason)
        case .resolve(let inc, let summary, let abandon): .resolve(incident: inc, summary: summary, abandonOpenSteps: abandon)
        case .close(let inc, let reason): .close(incident: inc, reason: reason)
        case .reopen(let inc, let reason): .reopen(incident: inc, reason: reason)
        case .note(let inc, let text): .note(incident: inc, text: text)
        case .override(let role, let person, let until, let reason): .overrideRole(role: role, person: person, until: until, reason: reason)
        case .whoami, .report, .postmortem, .metrics, .webLogin, .evidence, .incidents, .show, .reports, .onCall: nil
        }
    }
}

/// Which incidents `incidents` lists: all the caller may see, narrowed, newest first, one page at a time.
/// Every narrowing is optional and they combine (all must hold).
public struct IncidentFilter: Sendable, Hashable {
    /// Only those with a step the caller owns (or, for a reporter, that they reported).
    public var mine: Bool
    /// Only open or acknowledged ones (`status` says exactly which).
    public var open: Bool
    public var overdue: Bool
    /// Any of these statuses (open, acknowledged, resolved, closed); empty: any.
    public var status: [String]
    public var playbook: String?
    public var category: String?
    public var severity: String?
    /// Only those with a step this person owns (or owned: done, skipped).
    public var owner: String?
    /// Opened at or after, and before.
    public var since: Timestamp?
    public var until: Timestamp?
    /// Words in the title, the post's address, the reports' texts and notes, the responders' notes or the
    /// summary (for reporters: the title, the address and their own reports), case-insensitive, each word anywhere.
    public var text: String?
    /// Paging: only those after this incident in the list (older), or only those before it (newer).
    public var before: String?
    public var after: String?
    public var limit: Int

    public static let defaultLimit = 200
    public static let statuses = ["open", "acknowledged", "resolved", "closed"]

    public init(mine: Bool = false, open: Bool = false, overdue: Bool = false, status: [String] = [], playbook: String? = nil,
                category: String? = nil, severity: String? = nil, owner: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil,
                text: String? = nil, before: String? = nil, after: String? = nil, limit: Int = IncidentFilter.defaultLimit) {
        self.mine = mine
        self.open = open
        self.overdue = overdue
        self.status = status
        self.playbook = playbook
        self.category = category
        self.severity = severity
        self.owner = owner
        self.since = since
        self.until = until
        self.text = text
        self.before = before
        self.after = after
        self.limit = limit
    }
}

extension IncidentFilter {
    /// One page as the CLI and the web pages show it, from the `size + 1` incidents they asked for (the extra one
    /// says there is another page), with the cursors of the pages around it: `older` for `before`, `newer` for
    /// `after`, nil where there is none.
    public struct Page: Sendable {
        public let rows: [JSONValue]
        public let older: String?
        public let newer: String?
    }

    public static func page(_ asked: [JSONValue], size: Int, before: String?, after: String?) -> Page {
        let more = asked.count > size
        // Paging back, the extra one is the newest; paging on, the oldest.
        let rows = more ? (after != nil ? Array(asked.dropFirst()) : Array(asked.prefix(size))) : asked
        let older = more || after != nil ? rows.last?["id"]?.stringValue : nil
        let newer = before != nil || (after != nil && more) ? rows.first?["id"]?.stringValue : nil
        return Page(rows: rows, older: older, newer: newer)
    }
}
