#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FirebreakCore

/// How a journal is written. The defaults suit the daemon; tests shrink segments and inject failures.
public struct JournalOptions: Sendable {
    /// A new segment starts once the current one would grow past this (a single batch is never split).
    public var maxSegmentBytes = 64 << 20
    /// The largest line accepted; larger entries are refused before anything is written.
    public var maxRecordBytes = 1 << 20
    /// Signs checkpoints; with none, the journal is hash-chained but unsealed.
    public var signer: CheckpointSigner?
    /// A checkpoint follows at the latest after this many records…
    public var checkpointEveryRecords = 1000
    /// …or this many seconds after the first unsealed record, whichever comes first.
    public var checkpointEverySeconds = 60.0
    /// The actor named on records the journal writes itself (checkpoints).
    public var systemActor = "firebreakd"
    /// The time put on checkpoints.
    public var clock: @Sendable () -> Timestamp = JournalOptions.systemClock
    /// The size of the redo tail (`TailRing`), preallocated beside the segments; batches are made durable there,
    /// the segment being synced once a lap's worth has passed. 0: sync each segment in place.
    public var tailRingBytes = 4 << 20
    /// The data-sync call (tests replace it with one that fails).
    public var dataSync: DataSync = .system
    /// Called once, from the thread that was writing, when a sync fails and the journal stops for good. The daemon exits
    /// non-zero here; anything awaiting an append has already been told it failed.
    public var onFatal: (@Sendable (JournalError) -> Void)?

    public init() {}

    public static let systemClock: @Sendable () -> Timestamp = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }
}

/// What opening the journal found and did.
public struct RecoveryReport: Sendable {
    /// A torn tail that was moved aside and cut off.
    public struct TornTail: Sendable {
        public let location: JournalLocation
        public let reason: String
        public let bytes: Int
        /// SHA-256 of the cut-off bytes, so a record of the recovery pins down exactly what was cut.
        public let sha256: String
        /// Where the cut-off bytes were kept, for anyone who wants to look at them.
        public let movedTo: String
    }

    public let lastSeq: UInt64
    public let lastHash: String
    public let recordCount: Int
    public let segmentCount: Int
    public let tornTail: TornTail?
    /// Records after the last checkpoint (not yet sealed by a signature); when resumed, a lower bound.
    public let unsealedCount: Int
    /// The seq reading started at (a snapshot's), or nil when the whole journal was read; `recordCount` then
    /// counts only the records from there.
    public var resumedAt: UInt64? = nil
    /// Frames of the last run's tail written back into their segment at this open, and how many of their bytes
    /// the segment did not already hold (more than 0 only after the machine lost unsynced pages).
    public var tailFramesRewritten = 0
    public var tailBytesRepaired = 0
    /// Whether batches are made durable through the tail (false: it is off, or there was no room for it).
    public var tailRing = false
}
