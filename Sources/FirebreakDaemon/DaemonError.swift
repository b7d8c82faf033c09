/// Why a part of the daemon could not do its work: the one error type of this module, in the shape of
/// `JournalError` (a public code over a private enum, and a message naming what and why for the person who reads
/// the log or the terminal). The message is the whole of what is shown.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case configuration, startup, journal, snapshot, evidence, mail, actionLinks = "action-links", form
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String { base.rawValue }

        /// The configuration file (or a flag) says something the daemon cannot use.
        public static let configuration = Code(.configuration)
        /// A part of the daemon could not start (a socket, the spool, the web server's address): a setting to fix,
        /// so the daemon exits with the bad-configuration status.
        public static let startup = Code(.startup)
        /// The journal refused a write the daemon cannot start or stop without (a full disk, a failed sync).
        public static let journal = Code(.journal)
        /// The state snapshot could not be read or written (the journal stays the record; replay covers it).
        public static let snapshot = Code(.snapshot)
        /// An evidence file could not be taken or stored: the message says why, in words for the reporter.
        public static let evidence = Code(.evidence)
        /// The SMTP relay refused or could not be reached.
        public static let mail = Code(.mail)
        /// The key of the one-tap links could not be made or read.
        public static let actionLinks = Code(.actionLinks)
        /// A web form that cannot be read.
        public static let form = Code(.form)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
