import FirebreakConfig
import FirebreakCore
import FirebreakDaemon
import FirebreakJournal
import Foundation
import Synchronization
import Testing
@testable import FirebreakTestSupport

/// The desk's group commit, in-process on a real journal: commands that arrive during a sync share the next
/// one, each decided on the state with the earlier ones applied; readers wait while a batch is being synced;
/// a failed append takes the batch back and fails only the command that caused it.
@Suite struct DeskTests {
    /// A data sync that counts calls and, while `hold` is set, waits until it is released: the test can then
    /// queue commands behind a batch that is "on its way to disk".
    final class SlowSync: Sendable {
        let calls = Atomic<Int>(0)
        let held = Atomic<Bool>(false)
        let holding = Atomic<Bool>(false)

        var dataSync: DataSync {
            DataSync { fd in
                self.calls.add(1, ordering: .relaxed)
                while self.held.load(ordering: .acquiring) {
                    self.holding.store(true, ordering: .releasing)
                    usleep(1_000)
                }
                self.holding.store(false, ordering: .releasing)
                return fdatasync(fd) == 0 ? 0 : errno
            }
        }
    }

    static let context: EngineContext = {
        let loaded = ConfigFiles.load(playbooks: TestPaths.repoRoot + "/Playbooks", roster: DaemonEngineTests.roster)
        return EngineContext(playbooks: loaded.playbooks, roster: loaded.roster!)
    }()

    func open(_ dir: TempDir, sync: SlowSync, maxRecordBytes: Int = 1 << 20) throws -> (Desk, Journal) {
        var options = JournalOptions()
        options.dataSync = sync.dataSync
        options.maxRecordBytes = maxRecordBytes
        let journal = try Journal.open(directory: dir.sub("journal"), options: options)
        return (try Desk(state: EngineState(), context: Self.context, journal: journal, clock: JournalOptions.systemClock), journal)
    }

    static let manager = Actor(id: "amira", access: .manager)

    static func report(_ n: Int, by who: String = "kim", text: String = "the board pack") -> Command {
        .report(Report(url: "https://x.com/leaker/status/\(n)", category: .confidentialInformation, text: text), key: "test:\(who):\(n)")
    }

    @Test func commandsQueuedDuringASyncShareTheNextAndEachSeesTheOnesBefore() async throws {
        let dir = TempDir("desk")
        let sync = SlowSync()
        let (desk, journal) = try open(dir, sync: sync)
        sync.held.store(true, ordering: .releasing)
        let first = Task { try await desk.submit(Self.report(0), by: Actor(id: "kim", access: .reporter)) }
        while !sync.holding.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        let syncsBefore = sync.calls.load(ordering: .relaxed)

        // 100 reports about 50 posts, two reporters each, queued while the first batch is held at its sync.
        let results = Task {
            try await withThrowingTaskGroup(of: [Event].self) { group in
                for n in 1...50 {
                    for who in ["kim", "ben"] {
                        group.addTask { try await desk.submit(Self.report(n, by: who), by: Actor(id: who, access: .reporter)) }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        // The first report is not durable yet, so nobody may see its incident: a reader waits for the desk,
        // which is busy syncing, and is answered after the sync.
        let reader = Task { await desk.incident("INC-1") }
        let answeredAfterSync = Task {
            _ = await reader.value
            return !sync.held.load(ordering: .acquiring)
        }
        try await Task.sleep(for: .milliseconds(100))
        let headWhileHeld = journal.head.seq
        sync.held.store(false, ordering: .releasing)
        #expect(headWhileHeld == 0, "nothing is durable while the sync is held")
        #expect(await answeredAfterSync.value, "the reader was answered only after the sync returned")
        #expect(await reader.value?.id == "INC-1")

        let opened = try await first.value.first { $0.type == EventType.incidentOpened }
        #expect(opened?.incident == "INC-1")
        let all = try await results.value
        #expect(all.count == 100)
        // One incident per post: the second report of each post joined the first, decided in the same batch.
        let openedIDs = all.flatMap { $0 }.filter { $0.type == EventType.incidentOpened }.compactMap(\.incident)
        #expect(openedIDs.count == 50 && Set(openedIDs).count == 50)
        #expect(Set(openedIDs) == Set((2...51).map { "INC-\($0)" }))
        #expect(await desk.activeIncidents == 51)
        // The 100 queued reports took far fewer syncs than 100 (typically one).
        let syncs = sync.calls.load(ordering: .relaxed) - syncsBefore
        #expect(syncs <= 10, "\(syncs) syncs for 100 queued reports")
        try await journal.close()

        // Everything acknowledged is on disk, and a replay gives the same incidents.
        var replayed = EngineState()
        _ = try JournalReader.scan(directory: dir.sub("journal")) { r in
            replayed.apply(r.event)
        }
        #expect(replayed.incidents.count == 51 && replayed.reportCount == 101)
    }

    @Test func aCommandTooLargeToJournalFailsAloneAndTheRestOfItsBatchLands() async throws {
        let dir = TempDir("desk-large")
        let sync = SlowSync()
        let (desk, journal) = try open(dir, sync: sync, maxRecordBytes: 12_000)
        sync.held.store(true, ordering: .releasing)
        let first = Task { try await desk.submit(Self.report(0), by: Actor(id: "kim", access: .reporter)) }
        while !sync.holding.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        let batch = Task {
            await withTaskGroup(of: (Int, Result<[Event], any Error>).self) { group in
                for n in 1...20 {
                    let text = n == 7 ? String(repeating: "x", count: 15_000) : "the board pack"
                    group.addTask {
                        do { return (n, .success(try await desk.submit(Self.report(n, text: text), by: Actor(id: "kim", access: .reporter)))) }
                        catch { return (n, .failure(error)) }
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        sync.held.store(false, ordering: .releasing)
        _ = try await first.value
        let results = await batch.value
        for (n, result) in results {
            switch result {
            case .success: #expect(n != 7)
            case .failure(let error):
                #expect(n == 7)
                #expect((error as? JournalError)?.code == .tooLarge, "\(error)")
            }
        }
        // The refused report's incident number was given back: the others are INC-2…INC-20 with no gap.
        let ids = results.values.compactMap { try? $0.get().first { $0.type == EventType.incidentOpened }?.incident }
        #expect(Set(ids) == Set((2...20).map { "INC-\($0)" }))
        #expect(await desk.activeIncidents == 20)
        #expect(await desk.incident("INC-21") == nil)
        try await journal.close()
    }

    /// The notifier hands the desk thousands of delivery outcomes at once after a digest. They ride along a few
    /// hundred a batch; between batches the desk's thread must take its other work, or a person's command (and
    /// a deadline, and every client of the socket) waits until the last outcome is journaled: 45,000 of them
    /// held escalations back 2 s in the deadlines bench.
    @Test func aBacklogOfBackgroundWorkLetsACommandThroughBetweenItsBatches() async throws {
        let dir = TempDir("desk-background")
        let sync = SlowSync()
        let (desk, journal) = try open(dir, sync: sync)
        let reporter = Actor(id: "kim", access: .reporter)
        _ = try await desk.submit(Self.report(0), by: reporter)
        // 30 batches of background work (reports of the same post).
        let backlog = (1...(30 * Desk.backgroundPerBatch)).map { n -> Command in
            .report(Report(url: "https://x.com/leaker/status/0", category: .confidentialInformation, text: "again"), key: "test:bg:\(n)")
        }
        // The backlog's first batch is held in its sync while a person's command comes to the desk (its task
        // has started, so it waits for the desk's thread), however long the test's own tasks wait for a thread.
        sync.held.store(true, ordering: .releasing)
        let background = Task { await desk.submitInBackground(backlog, by: reporter) }
        while !sync.holding.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        let started = Flag()
        let command = Task {
            started.value.store(true, ordering: .releasing)
            return try await desk.submit(Self.report(1, by: "lea"), by: Actor(id: "lea", access: .reporter))
        }
        while !started.value.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(50))
        sync.held.store(false, ordering: .releasing)
        let events = try await command.value
        #expect(events.contains { $0.type == EventType.incidentOpened })
        let outcomes = await background.value
        #expect(outcomes.count == backlog.count && outcomes.allSatisfy { (try? $0.get()) != nil })
        // Journaled in the batch after the first or soon after, not behind the whole backlog.
        var seenCommand = false, backlogAfter = 0
        _ = try JournalReader.scan(directory: dir.sub("journal")) { r in
            guard r.type == EventType.reportReceived else { return }
            if r.data["reporter"]?.stringValue == "lea" { seenCommand = true }
            else if seenCommand { backlogAfter += 1 }
        }
        #expect(seenCommand)
        #expect(backlogAfter >= 25 * Desk.backgroundPerBatch, "only \(backlogAfter) of the backlog's reports came after the command")
        try await journal.close()
    }

    final class Flag: Sendable { let value = Atomic<Bool>(false) }

    /// Deadlines fire from the desk's own timer: nobody calls `fireDue` here, and no deadline loop runs.
    @Test func aDeadlineFiresFromTheDesksOwnTimer() async throws {
        let dir = TempDir("desk-timer")
        let steps = [StepPlan(id: "look", title: "Look at the post", owner: "comms-on-call", due: .hours(6))]
        let playbook = Playbook(id: "quick", title: "Quick", description: nil, match: Playbook.Match(fallback: true), severity: .high,
                                acknowledge: TimeSpan(milliseconds: 300), escalation: .standard, raise: [], steps: steps, file: "quick.yaml")
        let journal = try Journal.open(directory: dir.sub("journal"))
        let desk = try Desk(state: EngineState(), context: EngineContext(playbooks: PlaybookSet([playbook]), roster: Self.context.roster),
                        journal: journal, clock: JournalOptions.systemClock)
        let opened = try await desk.submit(Self.report(0), by: Actor(id: "kim", access: .reporter))
        let id = try #require(opened.first { $0.type == EventType.incidentOpened }?.incident)
        var missed: Event?
        for _ in 0..<300 where missed == nil {
            try await Task.sleep(for: .milliseconds(10))
            _ = try JournalReader.scan(directory: dir.sub("journal")) { r in
                if r.type == EventType.ackMissed && r.data["incident"]?.stringValue == id { missed = r.event }
            }
        }
        let event = try #require(missed, "the acknowledgement deadline never fired")
        let due = try #require(event.data["due"]?.stringValue.flatMap { Timestamp(rfc3339: $0) })
        #expect(event.time >= due && event.time.millisecondsSinceEpoch - due.millisecondsSinceEpoch < 1_000)
        try await journal.close()
    }
}
