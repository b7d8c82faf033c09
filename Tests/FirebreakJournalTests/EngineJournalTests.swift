import FirebreakConfig
import FirebreakCore
import FirebreakJournal
import Testing

/// The engine's state is a fold of journal records: events written to a real journal and read back rebuild
/// the same state, byte for byte through the JSON of the lines.
@Suite struct EngineJournalTests {
    @Test func stateRebuiltFromTheJournalEqualsTheLiveState() throws {
        let loaded = ConfigFiles.load(playbooks: InteropTests.repoRoot + "/Playbooks", roster: InteropTests.repoRoot + "/Playbooks/roster.example.yaml")
        let context = EngineContext(playbooks: loaded.playbooks, roster: loaded.roster!)
        let dir = TempDir("engine")
        let journal = try Journal.open(directory: dir.path)
        var live = EngineState()
        var now = Timestamp(rfc3339: "2026-11-23T08:30:00Z")!
        func commit(_ events: [Event]) throws {
            _ = try journal.appendBlocking(events.map(JournalEntry.init))
            for e in events { live.apply(e) }
        }
        let kim = Actor(id: "kim", access: .reporter), amira = Actor(id: "amira", access: .responder)
        for (i, category) in ReportCategory.allCases.enumerated() {
            let report = Report(url: "https://x.com/p/status/\(i)", category: category, text: "the board pack", views: Int64(i) * 40_000)
            try commit(Engine.handle(.report(report, key: "spool:\(i)"), by: kim, state: live, now: now, context: context).get())
            now = now + .minutes(7)
        }
        try commit(Engine.handle(.completeStep(incident: "INC-1", step: "preserve-evidence", note: "saved"), by: amira, state: live, now: now, context: context).get())
        now = now + .hours(5)
        while let d = live.nextDeadline(), d.time <= now {
            try commit(Engine.dueEvents(state: &live, now: d.time, context: context))
        }
        try journal.closeBlocking()

        var rebuilt = EngineState()
        let scan = try JournalReader.scan(directory: dir.path) { r in
            rebuilt.apply(r.event)
        }
        #expect(scan.problem == nil && scan.recordCount > 100)
        #expect(rebuilt == live)
        #expect(rebuilt.nextDeadline() == live.nextDeadline())
        #expect(rebuilt.incidents.count == ReportCategory.allCases.count)
    }
}
