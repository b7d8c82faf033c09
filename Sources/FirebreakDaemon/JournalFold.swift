import FirebreakCore
import FirebreakJournal
import FirebreakReview

/// What the daemon rebuilds from the journal's records: the engine's state, and where each incident's records
/// are (`IncidentIndex`, what a review reads). One definition for the start-up replay, a snapshot, and
/// the check that re-derives a snapshot from the journal, so the three can never fold differently.
public struct JournalFold: Sendable {
    public var state = EngineState()
    public var index = IncidentIndex()

    public init(state: EngineState = EngineState(), index: IncidentIndex = IncidentIndex()) {
        self.state = state
        self.index = index
    }

    public mutating func apply(_ record: JournalRecord) {
        state.apply(record.event)
        index.add(record)
    }
}
