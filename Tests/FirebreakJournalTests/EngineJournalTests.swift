import FirebreakConfig
import FirebreakCore
import FirebreakJournal
import Testing
@testable import FirebreakTestSupport

/// The engine's state is a fold of journal records: events written to a real journal and read back rebuild
/// the same state, byte for byte through the JSON of the lines.
@Suite struct EngineJournalTests {
    /// The engine hands the journal an opened incident's plan written already; the line is byte for byte the
    /// one written from the data alone, for every shipped playbook.
    @Test func aPlanWrittenOnceGivesTheSameLineAsOneWrittenFromTheData() throws {
        let loaded = ConfigFiles.load(playbooks: TestPaths.repoRoot + "/Playbooks", roster: TestPaths.repoRoot + "/Playbooks/roster.example.yaml")
        let context = EngineContext(playbooks: loaded.playbooks, roster: loaded.roster!)
        var state = EngineState()
        let kim = Actor(id: "kim", access: .reporter), now = Timestamp(rfc3339: "2026-11-23T08:30:00Z")!
        var playbooks: Set<String> = []
        for (i, category) in ([nil] + ReportCategory.allCases.map(Optional.some)).enumerated() {
            let report = Report(url: "https://x.com/p/status/\(i)", category: category, text: "a \"quoted\" line\nand another")
            let events = try Engine.handle(.report(report, key: nil), by: kim, state: state, now: now, context: context).get()
            let opened = try #require(events.first { $0.type == EventType.incidentOpened })
            #expect(opened.writtenMember?.key == "plan")
            playbooks.insert(try #require(opened.data["plan"]?["playbook"]?.stringValue))
            let given = try RecordLine.encode(JournalEntry(opened), seq: 7, prev: String(repeating: "a", count: 64))
            let plain = try RecordLine.encode(JournalEntry(time: opened.time, type: opened.type, actor: opened.actor, data: opened.data),
                                              seq: 7, prev: String(repeating: "a", count: 64))
            #expect(given.line == plain.line)
            #expect(given.record == plain.record)
            for e in events { state.apply(e) }
        }
        #expect(playbooks.count == loaded.playbooks.playbooks.count)
    }

    @Test func stateRebuiltFromTheJournalEqualsTheLiveState() throws {
        let loaded = ConfigFiles.load(playbooks: TestPaths.repoRoot + "/Playbooks", roster: TestPaths.repoRoot + "/Playbooks/roster.example.yaml")
        let context = EngineContext(playbooks: loaded.playbooks, roster: loaded.roster!)
        let dir = TempDir("engine")
        let journal = try Journal.open(directory: dir.path)
        var live = EngineState()
        var now = Timestamp(rfc3339: "2026-11-23T08:30:00Z")!
        func commit(_ events: [Event]) throws {
            _ = try journal.appendNow(events.map(JournalEntry.init))
        }
        let kim = Actor(id: "kim", access: .reporter), amira = Actor(id: "amira", access: .responder)
        for (i, category) in ReportCategory.allCases.enumerated() {
            let report = Report(url: "https://x.com/p/status/\(i)", category: category, text: "the board pack", views: Int64(i) * 40_000)
            try commit(Engine.handle(.report(report, key: "spool:\(i)"), by: kim, state: &live, now: now, context: context).get())
            now = now + .minutes(7)
        }
        try commit(Engine.handle(.completeStep(incident: "INC-1", step: "preserve-evidence", note: "saved"), by: amira, state: &live, now: now, context: context).get())
        now = now + .hours(5)
        while let d = live.nextDeadline(), d.time <= now {
            try commit(Engine.dueEvents(state: &live, now: d.time, context: context))
        }
        try journal.closeNow()

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
