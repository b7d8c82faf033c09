/// Who is acting, as the edges establish it (socket peer, file owner, web session): never a field someone types.
public struct Actor: Sendable, Hashable {
    /// The roster person id, or the Unix user name for someone not in the roster.
    public var id: String
    public var access: Access

    public init(id: String, access: Access) {
        self.id = id
        self.access = access
    }

    /// Resolves a Unix user to a person and what they may do.
    public static func from(unixUser: String, roster: Roster) -> Actor {
        guard let p = roster.person(unixUser: unixUser) else { return Actor(id: unixUser, access: .reporter) }
        return Actor(id: p.id, access: roster.access(of: p.id))
    }

    public static let daemon = Actor(id: "firebreakd", access: .manager)
}

/// What people ask the engine to do: one struct per command (CommandCases.swift), as events are one struct per
/// record type. The static functions there build each case from its fields.
public enum Command: Sendable, Hashable {
    case report(Submission)
    case acknowledge(Acknowledge)
    case acknowledgeStep(AcknowledgeStep)
    case completeStep(CompleteStep)
    case skipStep(SkipStep)
    case assignStep(AssignStep)
    case escalate(Escalate)
    case resolve(Resolve)
    case close(Close)
    case reopen(Reopen)
    case note(Note)
    case delivered(Delivered)
    case deliveryFailed(DeliveryFailed)
    case overrideRole(OverrideRole)

    /// The incident the command is about, for those about one (not a report, a delivery or an override).
    public var incident: String? {
        switch self {
        case .acknowledge(let c): c.incident
        case .acknowledgeStep(let c): c.incident
        case .completeStep(let c): c.incident
        case .skipStep(let c): c.incident
        case .assignStep(let c): c.incident
        case .escalate(let c): c.incident
        case .resolve(let c): c.incident
        case .close(let c): c.incident
        case .reopen(let c): c.incident
        case .note(let c): c.incident
        case .report, .delivered, .deliveryFailed, .overrideRole: nil
        }
    }

    /// The least access that may give this command.
    public var requiredAccess: Access {
        switch self {
        case .report: .reporter
        case .close, .reopen, .delivered, .deliveryFailed, .overrideRole: .manager
        default: .responder
        }
    }

    public var name: String {
        switch self {
        case .report: "report"
        case .acknowledge: "ack"
        case .acknowledgeStep: "ack"
        case .completeStep: "done"
        case .skipStep: "skip"
        case .assignStep: "assign"
        case .escalate: "escalate"
        case .resolve: "resolve"
        case .close: "close"
        case .reopen: "reopen"
        case .note: "note"
        case .delivered, .deliveryFailed: "deliver"
        case .overrideRole: "override"
        }
    }
}

/// Why a command was refused, with a message that says what to do instead.
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The raw value is the code's one spelling on the wire (the socket, the web's JSON API), in the same form as
    /// the daemon's own codes (docs/socket-protocol.md).
    public enum Code: String, Sendable, Hashable {
        case forbidden
        case unknownIncident = "unknown-incident"
        case unknownStep = "unknown-step"
        case unknownPerson = "unknown-person"
        case invalidState = "invalid-state"
        case invalidReport = "invalid-report"
        case noPlaybook = "no-playbook"
        case duplicate
    }

    public let code: Code
    public let message: String
    /// For `duplicate`: the incident the earlier submission went to.
    public let incident: String?

    public init(_ code: Code, _ message: String, incident: String? = nil) {
        self.code = code
        self.message = message
        self.incident = incident
    }

    public var description: String { message }
}

/// What the engine needs besides the state: the playbooks and roster in force.
public struct EngineContext: Sendable {
    public var playbooks: PlaybookSet
    public var roster: Roster

    public init(playbooks: PlaybookSet, roster: Roster) {
        self.playbooks = playbooks
        self.roster = roster
    }

    /// The context with journaled overrides added to the roster file's (after them, so that of two covering
    /// the same instant the later-starting one wins, as in the file). No copy when there are none.
    public func withOverrides(_ extra: [Roster.Override]) -> EngineContext {
        guard !extra.isEmpty else { return self }
        var c = self
        c.roster.overrides += extra
        return c
    }
}
