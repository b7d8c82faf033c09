import FirebreakCore
import FirebreakReview
import Testing
@testable import FirebreakTestSupport

/// Post-mortems and metrics from a simulated incident on a known clock: the step table (on time, late by how
/// much, skipped and why), the times to acknowledge and resolve, what each kind of viewer sees, and the figures.
@Suite struct ReviewTests {
    /// Two incidents on the shipped playbooks: INC-1 acknowledged after 5 min, its first step done late, one
    /// step skipped, resolved after 65 min; INC-2 acknowledged after 15 min and left open with steps overdue.
    static func scenario() throws -> Sim {
        var s = Sim(now: ts("2026-11-20T09:00:00Z"))
        try s.run(.report(Report(url: "https://x.com/a/status/1", category: .harassment, text: "a post about Sam"), key: "k1"), by: "kim")
        s.advance(by: .minutes(5))
        try s.run(.acknowledge(incident: "INC-1"), by: "amira")
        s.advance(by: .minutes(30))  // the first step (due 30 min after opening) is now 5 min late
        let first = s.state.incidents["INC-1"]!
        let step0 = first.plan.steps[0].id
        try s.run(.completeStep(incident: "INC-1", step: step0, note: "captured"), by: first.steps[0].owner ?? "amira")
        let ready = s.state.incidents["INC-1"]!.steps.indices.first { s.state.incidents["INC-1"]!.steps[$0].status == .ready }!
        try s.run(.skipStep(incident: "INC-1", step: first.plan.steps[ready].id, reason: "not needed here"), by: "amira")
        try s.run(.note(incident: "INC-1", text: "the platform was asked"), by: "amira")
        s.advance(by: .minutes(30))
        try s.run(.resolve(incident: "INC-1", summary: "the platform removed it", abandonOpenSteps: true), by: "amira")
        try s.run(.report(Report(url: "https://x.com/b/status/2", category: .negativeViral), key: "k2"), by: "ben")
        s.advance(by: .minutes(15))
        try s.run(.acknowledge(incident: "INC-2"), by: "amira")
        s.advance(by: .hours(5))
        return s
    }

    static func records(_ s: Sim, _ id: String) -> [ReviewRecord] {
        s.log.enumerated().filter { $0.element.incident == id }.map { ReviewRecord(seq: UInt64($0.offset + 1), hash: "h\($0.offset + 1)", event: $0.element) }
    }

    /// "sent" only for what a channel took: a person with no usable contact is logged in journald, which pages
    /// nobody; one who could not be reached is "unreachable" with the reason; one not yet delivered is pending.
    @Test func thePostmortemSaysSentOnlyForWhatAChannelAccepted() throws {
        var s = Sim(now: ts("2026-11-20T09:00:00Z"))
        try s.run(.report(Report(url: "https://x.com/a/status/1", category: .harassment), key: nil), by: "kim")
        try s.run(.completeStep(incident: "INC-1", step: "preserve-evidence", note: nil), by: "dana")
        let ids = s.log.ofType(EventType.notification).compactMap { $0.data["id"]?.stringValue }
        try #require(ids.count >= 3, "\(ids)")
        try s.run(.delivered(notification: ids[0], channel: "slack", digest: nil), by: "firebreakd")
        try s.run(.delivered(notification: ids[1], channel: "journald", digest: nil), by: "firebreakd")
        try s.run(.deliveryFailed(notification: ids[2], attempt: 5, error: "slack: HTTP 500", retryAt: nil), by: "firebreakd")
        let p = Postmortem.build(incident: s.incident("INC-1"), records: Self.records(s, "INC-1"), checkpoint: nil, viewer: Actor(id: "dana", access: .manager), now: s.now)
        let status = Dictionary(uniqueKeysWithValues: (p["notifications"]?.arrayValue ?? []).map { ($0["id"]?.stringValue ?? "", $0["status"]?.stringValue ?? "") })
        #expect(status[ids[0]] == "sent")
        #expect(status[ids[1]] == "not sent: no contact, logged in journald")
        #expect(status[ids[2]] == "unreachable")
        #expect(ids.dropFirst(3).allSatisfy { status[$0] == "pending" })
    }

    @Test func thePostmortemTellsTheStepsTimesAndStoryAndHidesReportersFromResponders() throws {
        let s = try Self.scenario()
        let inc = s.state.incidents["INC-1"]!
        let records = Self.records(s, "INC-1")
        let manager = Postmortem.build(incident: inc, records: records, checkpoint: nil, viewer: Actor(id: "dana", access: .manager), now: s.now)
        #expect(manager["time_to_acknowledge_ms"] == .int(5 * 60_000) && manager["time_to_resolve_ms"] == .int(65 * 60_000))
        let steps = manager["steps"]!.arrayValue!
        #expect(steps[0]["on_time"] == false && steps[0]["late_by_ms"] == .int(5 * 60_000), "\(steps[0])")
        #expect(steps.contains { $0["skipped_reason"] == "not needed here" })
        #expect(manager["reports"]?.arrayValue?.first?["reporter"] == "kim")
        #expect(manager["notes"]?.arrayValue?.first?["text"] == "the platform was asked")
        #expect((manager["notifications"]?.arrayValue ?? []).contains { $0["kind"] == "step.assigned" && $0["status"] == "pending" })
        #expect(manager["proof"]?["first_seq"] == .int(Int64(records.first!.seq)) && manager["proof"]?["last_hash"] == .string(records.last!.hash))
        #expect(manager["proof"]?["checkpoint"] == .null)
        let text = PostmortemText.markdown(manager)
        for part in ["# Post-mortem: INC-1", "| Time to acknowledge | 5 min |", "| Time to resolve | 1 h 5 min |", "late by 5 min",
                     "## Timeline", "amira acknowledged the incident", "Report RPT-1 from kim", "## Journal proof", "Not yet sealed"] {
            #expect(text.contains(part), "\(part)")
        }
        // A responder reads the same story without the reporter's name.
        let responder = Postmortem.build(incident: inc, records: records, checkpoint: nil, viewer: Actor(id: "amira", access: .responder), now: s.now)
        #expect(responder["reports"]?.arrayValue?.first?["reporter"] == nil)
        #expect(!PostmortemText.markdown(responder).contains("kim") && !PostmortemText.html(responder).contains("kim"))
        #expect(PostmortemText.html(manager).contains("<li data-seq=") && !PostmortemText.html(manager).contains("<script"))
        // A checkpoint after the last record seals it.
        let sealed = Postmortem.build(incident: inc, records: records, checkpoint: ReviewRecord(seq: 999, hash: "c", event: Event(
            time: s.now, type: "journal.checkpoint", actor: "firebreakd", data: ["covers_seq": 998, "key_id": "abcd"])), viewer: Actor(id: "dana", access: .manager), now: s.now)
        #expect(PostmortemText.markdown(sealed).contains("Sealed by the signed checkpoint at seq 999"))
    }

    @Test func metricsGiveMediansAdherenceWeeksAndWhatIsOverdue() throws {
        let s = try Self.scenario()
        let m = Metrics.compute(Array(s.state.incidents.values), since: nil, until: nil, now: s.now)
        #expect(m["incidents"] == 2)
        #expect(m["time_to_acknowledge"]?["count"] == 2 && m["time_to_acknowledge"]?["median_ms"] == .int(5 * 60_000)
                && m["time_to_acknowledge"]?["p90_ms"] == .int(15 * 60_000))
        #expect(m["time_to_resolve"]?["count"] == 1 && m["time_to_resolve"]?["median_ms"] == .int(65 * 60_000))
        #expect(m["incidents_per_week"]?.arrayValue?.first?["week"] == "2026-W47")
        #expect(m["incidents_per_week"]?.arrayValue?.first?["categories"]?["harassment"] == 1)
        let overdue = m["overdue_steps"]?.arrayValue ?? []
        #expect(!overdue.isEmpty && overdue.allSatisfy { $0["incident"] == "INC-2" })
        let harassment = m["deadline_adherence"]?["playbook"]?["harassment"]
        #expect(harassment?["late"]?.intValue ?? 0 >= 1)
        // Only incidents opened in the window count.
        let later = Metrics.compute(Array(s.state.incidents.values), since: ts("2026-11-20T10:00:00Z"), until: nil, now: s.now)
        #expect(later["incidents"] == 1)
        #expect(SVGChart.bars([("a", 1, "1")], title: "t").hasPrefix("<svg") && SVGChart.bars([], title: "t").contains("No data yet."))
    }
}
