/// When the desk writes a snapshot, as a value: after `every` records journaled since the last, never two at
/// once, and the next no sooner than ten times as long after the last as it took to write, so snapshots cost at
/// most a tenth of a core however busy the desk is. The desk asks it and tells it; it does no I/O.
struct SnapshotPolicy {
    let every: Int
    /// Records journaled (or replayed rather than read from a snapshot) since the last snapshot.
    private(set) var since: Int
    private(set) var writing = false
    private var notBefore: ContinuousClock.Instant

    init(every: Int, since: Int, now: ContinuousClock.Instant) {
        self.every = every
        self.since = since
        notBefore = now
    }

    mutating func journaled(_ records: Int) { since += records }

    /// Whether to start one after a batch, at `now`.
    func isDue(at now: ContinuousClock.Instant) -> Bool { now >= notBefore && since >= every && !writing }

    /// Whether a clean stop has anything to write.
    var hasUnsaved: Bool { since > 0 }

    /// A snapshot starts: false when one is being written already.
    mutating func start() -> Bool {
        guard !writing else { return false }
        writing = true
        since = 0
        return true
    }

    mutating func finished(started: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        writing = false
        notBefore = now + (now - started) * 10
    }
}
