import FirebreakCore
import FirebreakJournal

/// What the daemon rebuilds from the journal's records: the engine's state, and the seq of each incident's
/// opening record (where a post-mortem starts reading). One definition for the start-up replay, a snapshot, and
/// the check that re-derives a snapshot from the journal, so the three can never fold differently.
public struct JournalFold: Sendable {
    public var state = EngineState()
    public var openedSeq: [String: UInt64] = [:]

    public init(state: EngineState = EngineState(), openedSeq: [String: UInt64] = [:]) {
        self.state = state
        self.openedSeq = openedSeq
    }

    public mutating func apply(_ record: JournalRecord) {
        state.apply(record.event)
        if let id = record.openedIncident { openedSeq[id] = record.seq }
    }
}
