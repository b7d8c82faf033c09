import FirebreakCore

/// What a caller asks the journal to append; the journal gives it a seq and chains it.
public struct JournalEntry: Sendable, Hashable {
    public var time: Timestamp
    public var type: String
    public var actor: String
    public var data: JSONValue
    /// A member of `data` the engine has written already (an opened incident's plan): copied, not written again.
    /// Not part of `==`: the line is the same either way.
    var written: (key: String, bytes: [UInt8])?

    public init(time: Timestamp, type: String, actor: String, data: JSONValue = .object([:])) {
        self.time = time
        self.type = type
        self.actor = actor
        self.data = data
    }

    /// Equal when they would be the same record.
    public static func == (a: JournalEntry, b: JournalEntry) -> Bool {
        a.time == b.time && a.type == b.type && a.actor == b.actor && a.data == b.data
    }

    public func hash(into h: inout Hasher) {
        h.combine(time)
        h.combine(type)
        h.combine(data)
    }
}

/// A record as it stands in the journal: the entry plus its place in the hash chain.
public struct JournalRecord: Sendable, Hashable {
    public var seq: UInt64
    public var time: Timestamp
    public var type: String
    public var actor: String
    public var data: JSONValue
    /// Lowercase hex SHA-256 of the previous record's line (64 zeros for seq 1).
    public var prev: String
    /// Lowercase hex SHA-256 of this line's bytes before `,"hash":"`.
    public var hash: String
    /// Where its line is on disk, when the record came from the journal (read or just written). Not part of
    /// `==`: the same record is the same wherever it was read from.
    public var place: RecordPlace?

    public init(seq: UInt64, time: Timestamp, type: String, actor: String, data: JSONValue, prev: String, hash: String, place: RecordPlace? = nil) {
        self.seq = seq
        self.time = time
        self.type = type
        self.actor = actor
        self.data = data
        self.prev = prev
        self.hash = hash
        self.place = place
    }

    public static func == (a: JournalRecord, b: JournalRecord) -> Bool {
        a.seq == b.seq && a.hash == b.hash && a.time == b.time && a.type == b.type && a.actor == b.actor && a.data == b.data && a.prev == b.prev
    }

    public func hash(into h: inout Hasher) {
        h.combine(seq)
        h.combine(hash)
    }

    public var entry: JournalEntry { JournalEntry(time: time, type: type, actor: actor, data: data) }
}

/// The record type of a signed checkpoint (DESIGN.md, "Journal file format (v1)").
public let checkpointRecordType = "journal.checkpoint"

/// The `prev` of seq 1.
public let genesisHash = String(repeating: "0", count: 64)

extension JournalRecord {
    /// The engine's event this record holds (the state is a fold of them), decoded from its v1 data.
    public var event: Event { Event(time: time, type: type, actor: actor, data: data) }

    /// The incident this record opened, when it is an `incident.opened` record.
    public var openedIncident: String? {
        type == EventType.incidentOpened ? data["incident"]?.stringValue : nil
    }
}

extension JournalEntry {
    /// An engine event, to be appended: the one place events become v1 data.
    public init(_ event: Event) {
        self.init(time: event.time, type: event.type, actor: event.actor, data: event.data)
        written = event.writtenMember
    }
}
