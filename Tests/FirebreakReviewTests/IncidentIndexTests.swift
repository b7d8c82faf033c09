import Crypto
import FirebreakCore
import FirebreakJournal
import FirebreakReview
import Foundation
import Testing
@testable import FirebreakTestSupport

/// The review reads an incident's records at the places the index holds; these tests hold it to the answer a
/// full scan of the journal gives, for every incident of a journal that interleaves them, crosses segments and
/// leaves its last records unsealed.
@Suite struct IncidentIndexTests {
    /// Writes a journal of interleaved incidents (reports, deadlines that fire, escalations, acknowledgements,
    /// steps, notes, second reports, a reopening, deliveries), indexing what each append returned as the desk
    /// does. Returns the live index and the engine's state.
    static func writeJournal(_ directory: String, incidents: Int) throws -> (IncidentIndex, EngineState) {
        var options = JournalOptions()
        options.signer = CheckpointSigner(privateKey: Curve25519.Signing.PrivateKey())
        options.checkpointEveryRecords = 37
        options.maxSegmentBytes = 64 << 10
        options.clock = { t0 }
        let journal = try Journal.open(directory: directory, options: options)
        var sim = Sim(now: t0)
        var index = IncidentIndex()
        func write(_ events: [Event]) throws {
            guard !events.isEmpty else { return }
            for r in try journal.appendNow(events.map(JournalEntry.init)) { index.add(r) }
            if let c = journal.lastCheckpoint, let place = c.place, index.checkpoints.last.map({ $0 < place }) ?? true { index.add(c) }
        }
        let categories: [ReportCategory] = [.confidentialInformation, .privacyBreach, .harassment, .negativeViral, .impersonation, .other]
        for n in 1...incidents {
            let report = Report(url: "https://x.com/user\(n % 7)/status/\(1000 + n)", category: categories[n % categories.count],
                                text: "Post \(n) someone flagged")
            try write(try sim.run(.report(report, key: "k\(n)"), by: "kim"))
            try write(sim.advance(by: .minutes(7)))
            let id = EngineState.incidentID(sim.state.incidentCount)
            if n % 3 == 0 { try write(try sim.run(.acknowledge(incident: id), by: "dana")) }
            if n % 4 == 1, n > 2 {
                // An earlier incident goes on while this one starts: its records land between this one's.
                let earlier = EngineState.incidentID(n - 2)
                if let inc = sim.state.incidents[earlier], inc.isActive {
                    try write(try sim.run(.note(incident: earlier, text: "Still on it (\(n))"), by: "dana"))
                    if let step = inc.steps.indices.first(where: { inc.steps[$0].isOpen }) {
                        try write(try sim.run(.completeStep(incident: earlier, step: inc.plan.steps[step].id, note: "done"), by: "dana"))
                    }
                    let again = Report(url: inc.url, category: ReportCategory(rawValue: inc.category ?? ""), text: "Seen again")
                    try write(try sim.run(.report(again, key: "again\(n)"), by: "amira"))
                }
            }
            for pending in sim.state.outbox.values.sorted(by: { $0.id < $1.id }).prefix(3) {
                try write(try sim.run(.delivered(notification: pending.id, channel: "email", digest: nil), by: Actor.daemon.id))
            }
            if n % 5 == 2 {
                let old = EngineState.incidentID(max(1, n - 1))
                if sim.state.incidents[old]?.isActive == true {
                    try write(try sim.run(.resolve(incident: old, summary: "Taken down", abandonOpenSteps: true), by: "dana"))
                    if n % 10 == 2 { try write(try sim.run(.reopen(incident: old, reason: "It is back"), by: "dana")) }
                }
            }
        }
        try write(sim.advance(by: .hours(30)))
        // The last records are left unsealed: an incident whose last record no checkpoint follows yet.
        try write(try sim.run(.note(incident: EngineState.incidentID(incidents), text: "The last word"), by: "dana"))
        try journal.closeNow()
        return (index, sim.state)
    }

    @Test func everyPostmortemReadThroughTheIndexIsByteForByteTheFullScans() throws {
        let dir = TempDir("index")
        let (live, state) = try Self.writeJournal(dir.path, incidents: 60)
        // The journal holds more than one segment and unsealed records at its end (the close sealed them: count
        // only what the index saw before it).
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jsonl") }.count > 3)
        var replayed = IncidentIndex()
        var head: UInt64 = 0
        _ = try JournalReader.scan(directory: dir.path) { r in
            replayed.add(r)
            head = r.seq
        }
        // The close's checkpoint is in the replayed index only; everything else is the same.
        #expect(replayed.places == live.places)
        #expect(replayed.openedSeq == live.openedSeq)
        #expect(Array(replayed.checkpoints.prefix(live.checkpoints.count)) == live.checkpoints)
        #expect(replayed.checkpoints.count == live.checkpoints.count + 1)

        let viewer = Actor(id: "dana", access: .manager)
        let now = t0 + .hours(48)
        var compared = 0, sealed = 0, interleaved = 0
        for (id, inc) in state.incidents {
            let places = try #require(replayed.places[id])
            let viaIndex = try IncidentRecords.read(journal: dir.path, incident: id, places: places,
                                                    checkpoint: replayed.checkpoint(after: places.last!))
            let viaScan = try IncidentRecords.scan(journal: dir.path, incident: id, from: try #require(replayed.openedSeq[id]), through: head)
            let a = Postmortem.build(incident: inc, records: viaIndex.records, checkpoint: viaIndex.checkpoint, viewer: viewer, now: now).jsonText
            let b = Postmortem.build(incident: inc, records: viaScan.records, checkpoint: viaScan.checkpoint, viewer: viewer, now: now).jsonText
            #expect(a == b, "\(id)")
            #expect(viaIndex.records.map(\.seq) == viaScan.records.map(\.seq), "\(id)")
            compared += 1
            if viaIndex.checkpoint != nil { sealed += 1 }
            if let first = viaIndex.records.first?.seq, let last = viaIndex.records.last?.seq, last - first + 1 > UInt64(viaIndex.records.count) { interleaved += 1 }
        }
        #expect(compared == 60)
        #expect(sealed == 60, "the close sealed every incident")
        #expect(interleaved > 30, "most incidents' records have other records between them")
    }

    @Test func theIndexSurvivesItsSnapshotForm() throws {
        let dir = TempDir("index-json")
        let (live, _) = try Self.writeJournal(dir.path, incidents: 12)
        var bytes: [UInt8] = []
        JSONWriter.write(live.json, into: &bytes)
        let back = try IncidentIndex(json: try JSONParser.parse(bytes))
        #expect(back == live)
        #expect(live.count > 100)
        #expect(throws: IncidentIndex.Unreadable.self) { try IncidentIndex(json: ["opened_seq": ["INC-1": 3], "places": [:], "checkpoints": ""]) }
    }

    @Test func aPlaceThatDoesNotHoldTheIncidentsRecordIsAnErrorNotAnotherRecord() throws {
        let dir = TempDir("index-wrong")
        let (live, _) = try Self.writeJournal(dir.path, incidents: 6)
        let one = try #require(live.places["INC-1"]), two = try #require(live.places["INC-2"])
        // INC-2's opening record where INC-1's should be: its hash holds, but it is not INC-1's.
        #expect(throws: JournalError.self) {
            try IncidentRecords.read(journal: dir.path, incident: "INC-1", places: [two[0]] + one.dropFirst(), checkpoint: nil)
        }
        // A place one byte off: not a whole line whose hash holds.
        let off = try #require(RecordPlace(segment: Int(one[0].segment), offset: Int(one[0].offset) + 1, length: Int(one[0].length)))
        #expect(throws: JournalError.self) { try IncidentRecords.read(journal: dir.path, incident: "INC-1", places: [off], checkpoint: nil) }
        // A record's bytes changed on disk: the hash is checked as it is read.
        let path = dir.path + "/" + one[0].segmentName
        var bytes = try #require(FileManager.default.contents(atPath: path))
        let at = Int(one[0].offset) + 20
        bytes[at] = bytes[at] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: JournalError.self) { try IncidentRecords.read(journal: dir.path, incident: "INC-1", places: one, checkpoint: nil) }
    }
}
