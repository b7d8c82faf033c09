/// Every failure the journal reports, with a code callers can match on and a message an operator can act on.
///
/// A struct over a private set of codes (as swift-service-lifecycle does) so that new codes never break a
/// caller's `switch`. Where the failure is about a place in the journal, the place travels with it.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case io, damaged, syncFailed, writerFailed, closed, locked, invalidEntry, key, tooLarge
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String { base.rawValue }

        /// A system call failed (open, read, write, rename); nothing was acknowledged.
        public static let io = Code(.io)
        /// The journal's history is damaged in a way that must not be repaired automatically.
        public static let damaged = Code(.damaged)
        /// fdatasync failed: the writer stops for good, since the kernel may have dropped the unsynced pages.
        public static let syncFailed = Code(.syncFailed)
        /// An append after the writer stopped because of an earlier sync failure.
        public static let writerFailed = Code(.writerFailed)
        /// An append after `close()`.
        public static let closed = Code(.closed)
        /// Another process holds the journal open for writing.
        public static let locked = Code(.locked)
        /// An entry that cannot be written (empty type, or a member name the envelope reserves).
        public static let invalidEntry = Code(.invalidEntry)
        /// A signing or verification key could not be read or used.
        public static let key = Code(.key)
        /// An entry larger than the configured record cap.
        public static let tooLarge = Code(.tooLarge)
    }

    public let code: Code
    public let message: String
    /// Where in the journal, when the error is about a record.
    public let location: JournalLocation?

    public init(_ code: Code, _ message: String, location: JournalLocation? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}

/// A place in the journal, for errors a person must go and look at.
public struct JournalLocation: Sendable, Hashable, CustomStringConvertible {
    public let segment: String
    /// 1-based line number within the segment.
    public let line: Int
    /// Byte offset of the line's start within the segment.
    public let offset: Int
    /// The seq the record at this place should carry (one past the last good record).
    public let seq: UInt64

    public var description: String { "seq \(seq) (\(segment) line \(line), byte \(offset))" }
}
