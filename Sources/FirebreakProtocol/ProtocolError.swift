import FirebreakCore

/// Why a request was not answered with a result: the one error type of the protocol, with the one spelling of
/// each code that the socket, the web's JSON API and the command line's `--json` all use
/// (docs/socket-protocol.md, "Error codes").
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case known(Known)
            /// A code this build does not know, from a newer daemon: kept as it came, so it is shown as sent.
            case other(String)
        }

        private enum Known: String, CaseIterable, Sendable {
            case badRequest = "bad-request", badVersion = "bad-version", unknownOp = "unknown-op", tooLarge = "too-large"
            case tooManyFiles = "too-many-files", unknownReport = "unknown-report", invalidReport = "invalid-report"
            case invalidEvidence = "invalid-evidence", unknownEvidence = "unknown-evidence", missingEvidence = "missing-evidence"
            case noWeb = "no-web", unauthenticated, forbidden, unknownIncident = "unknown-incident", unknownStep = "unknown-step"
            case unknownPerson = "unknown-person", invalidState = "invalid-state", noPlaybook = "no-playbook", duplicate
            case notDurable = "not-durable", io, `internal`, notRunning = "not-running"
        }

        private let base: Base
        private init(known: Known) { base = .known(known) }

        /// The code as written on the wire; an unknown spelling is kept as it is.
        public init(wire: String) {
            base = Known(rawValue: wire).map(Base.known) ?? .other(wire)
        }

        /// The engine's refusals keep their codes on the wire.
        public init(_ engine: EngineError.Code) { self.init(wire: engine.rawValue) }

        /// The one spelling on the wire: lowercase words joined by hyphens.
        public var description: String {
            switch base {
            case .known(let k): k.rawValue
            case .other(let s): s
            }
        }

        /// Every code this build knows, for the documentation's test.
        public static var all: [Code] { Known.allCases.map { Code(known: $0) } }

        /// Not JSON, or a missing or wrong argument.
        public static let badRequest = Code(known: .badRequest)
        /// A request in another version of the protocol.
        public static let badVersion = Code(known: .badVersion)
        public static let unknownOp = Code(known: .unknownOp)
        /// A request line over `ControlProtocol.maxLine`; the connection is closed.
        public static let tooLarge = Code(known: .tooLarge)
        /// More descriptors with one request than a report may carry.
        public static let tooManyFiles = Code(known: .tooManyFiles)
        /// `reports --file` names no spool file of the caller's.
        public static let unknownReport = Code(known: .unknownReport)
        /// The report's fields: the message names the field.
        public static let invalidReport = Code(known: .invalidReport)
        /// An evidence file that cannot be stored: the message names it and says why.
        public static let invalidEvidence = Code(known: .invalidEvidence)
        public static let unknownEvidence = Code(known: .unknownEvidence)
        /// Evidence that is journaled but whose stored file is gone.
        public static let missingEvidence = Code(known: .missingEvidence)
        /// `web-login` while the web pages are off.
        public static let noWeb = Code(known: .noWeb)
        /// The web's JSON API without a session.
        public static let unauthenticated = Code(known: .unauthenticated)
        public static let forbidden = Code(known: .forbidden)
        public static let unknownIncident = Code(known: .unknownIncident)
        public static let unknownStep = Code(known: .unknownStep)
        public static let unknownPerson = Code(known: .unknownPerson)
        public static let invalidState = Code(known: .invalidState)
        public static let noPlaybook = Code(known: .noPlaybook)
        public static let duplicate = Code(known: .duplicate)
        /// The journal could not make a change durable, so nothing was done.
        public static let notDurable = Code(known: .notDurable)
        /// The connection to the daemon failed.
        public static let io = Code(known: .io)
        public static let `internal` = Code(known: .internal)
        /// Nothing listens on the socket (said by the command line, never by a daemon).
        public static let notRunning = Code(known: .notRunning)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An engine's refusal as the caller hears it: a duplicate says where the earlier report went.
    public init(_ engine: EngineError) {
        var message = engine.message
        if engine.code == .duplicate, let inc = engine.incident { message = "already reported: it went to \(inc)" }
        self.init(Code(engine.code), message)
    }

    public var description: String { "\(code): \(message)" }

    /// `{"code": …, "message": …}`, the error member of a reply.
    public var json: JSONValue { ["code": .string(code.description), "message": .string(message)] }

    public init(json: JSONValue) {
        self.init(Code(wire: json["code"]?.stringValue ?? "error"), json["message"]?.stringValue ?? "refused")
    }
}
