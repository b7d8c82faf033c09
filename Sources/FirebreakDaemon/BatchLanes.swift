import DequeModule

/// The desk's jobs waiting for a batch, as a value in the style of hummingbird's state machines: the desk tells
/// it what arrived and asks what to do, and it answers with what the desk must do; it does no I/O and reads no
/// clock of its own.
///
/// Two lanes: people's commands and deadlines are decided in the order they came, all of them in the next batch;
/// background bookkeeping (delivery outcomes, thousands at once after a digest) rides along at most `perBatch` a
/// batch, so that it never makes a batch long enough to hold back a deadline.
struct BatchLanes<Job> {
    let perBatch: Int
    private var front: [Job] = []
    private var background = Deque<Job>()
    private var draining = false

    init(backgroundPerBatch: Int) { perBatch = backgroundPerBatch }

    enum Arrival {
        /// No batch is being drained: start the drain loop.
        case startDraining
        /// The running drain loop takes it.
        case queued
    }

    mutating func add(_ job: Job, background: Bool = false) -> Arrival {
        if background { self.background.append(job) } else { front.append(job) }
        return wake()
    }

    mutating func addBackground(_ jobs: some Sequence<Job>) -> Arrival {
        background.append(contentsOf: jobs)
        return wake()
    }

    private mutating func wake() -> Arrival {
        if draining { return .queued }
        draining = true
        return .startDraining
    }

    /// The next batch: every job in front and up to `perBatch` from the background. Nil when both are empty:
    /// the drain loop ends, and the next arrival starts another.
    mutating func nextBatch() -> [Job]? {
        guard !front.isEmpty || !background.isEmpty else {
            draining = false
            return nil
        }
        var jobs = front
        front.removeAll(keepingCapacity: true)
        let riders = min(background.count, perBatch)
        jobs += background.prefix(riders)
        background.removeFirst(riders)
        return jobs
    }

    /// Background work is still waiting (the drain loop lets others have the thread between such batches).
    var hasBackground: Bool { !background.isEmpty }
}
