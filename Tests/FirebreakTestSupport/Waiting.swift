import FirebreakJournal
import Foundation

/// Waits for something another process or thread does (a daemon taking a file, a record landing): true once
/// `condition` holds, false if it still does not after `timeout` seconds. Tests assert on the answer; they never
/// sleep and then assert that nothing happened.
func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Every record of the journal in `journal`, as far as it reads (none if it cannot be read).
func journalRecords(_ journal: String) -> [JournalRecord] {
    var out: [JournalRecord] = []
    _ = try? JournalReader.scan(directory: journal) { out.append($0) }
    return out
}

/// `waitUntil` for async tests: it suspends rather than blocks, so the cooperative pool's few threads (two here,
/// shared by every test running at once) stay free for the tasks the condition waits on. (A name of its own:
/// as an overload, a plain closure picks the blocking one.) The default timeout is only a guard against a hang:
/// the synchronous tests running beside it hold the pool's threads for up to a minute on two cores, and a task
/// the condition waits for may not run before then.
func eventually(timeout: Double = 120, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
