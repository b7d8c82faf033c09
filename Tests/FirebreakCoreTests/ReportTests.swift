import FirebreakCore
import Testing
@testable import FirebreakTestSupport

@Suite struct ReportTests {
    @Test func aFullReportReadsFromJSON() throws {
        let json = try JSONParser.parse(#"{"url":"https://x.com/a/status/1","platform":"X","category":"privacy-breach","author":"@someone","text":"names and addresses","note":"saw it at 9","reach":{"views":1200,"shares":30},"evidence":["shot.png"]}"#)
        let r = try Report(json: json)
        #expect(r.category == .privacyBreach && r.platform == "x" && r.views == 1200 && r.shares == 30 && r.evidence == ["shot.png"])
        #expect(try Report(json: r.json) == r)
    }

    @Test(arguments: [
        (#"{}"#, "url", "is required"),
        (#"{"url": 5}"#, "url", "must be a string"),
        (#"{"url": "ftp://x.com/a"}"#, "url", "only http and https"),
        (#"{"url": "https://x.com/a", "category": "rude"}"#, "category", "\"rude\" is not a category"),
        (#"{"url": "https://x.com/a", "reporter": "someone-else"}"#, "reporter", "is not a report field"),
        (#"{"url": "https://x.com/a", "reach": {"views": -1}}"#, "reach.views", "whole number"),
        (#"{"url": "https://x.com/a", "reach": {"likes": 3}}"#, "reach.likes", "is not a reach field"),
        (#"{"url": "https://x.com/a", "evidence": "a.png"}"#, "evidence", "must be a list"),
        (#"[1]"#, "report", "must be a JSON object"),
    ])
    func badReportsNameTheFieldAndTheReason(_ text: String, _ field: String, _ reason: String) throws {
        let json = try JSONParser.parse(text)
        #expect { try Report(json: json) } throws: { error in
            guard let p = error as? Report.Problem else { return false }
            return p.field == field && p.reason.contains(reason)
        }
    }

    @Test func theAddressCheckedInTheJSONIsTheOneTheIntakeGoesBy() throws {
        // The canonical address worked out by the check is kept for the intake; an address changed after the
        // check must be worked out again, not taken from the check.
        var sim = Sim(now: ts("2026-11-23T08:40:00Z"))
        let read = try Report(json: JSONParser.parse(#"{"url":"https://twitter.com/poster/status/1?utm_source=x","category":"negative-viral"}"#))
        #expect(read == Report(url: "https://twitter.com/poster/status/1?utm_source=x", category: .negativeViral), "the kept address is no part of the value")
        let first = try sim.run(.report(read, key: nil), by: "kim")
        let opened = try #require(first.ofType(EventType.incidentOpened).first)
        #expect(opened.data["canonical_url"]?.stringValue == "https://x.com/poster/status/1")
        var changed = read
        changed.url = "https://m.facebook.com/story/2"
        let second = try sim.run(.report(changed, key: nil), by: "kim")
        let other = try #require(second.ofType(EventType.incidentOpened).first, "another post opens another incident")
        #expect(other.data["canonical_url"]?.stringValue == "https://facebook.com/story/2")
    }

    @Test func theReporterIsNeverAField() {
        // Who reported is who the operating system says: the field is refused, not ignored.
        #expect(throws: Report.Problem.self) { try Report(json: ["url": "https://x.com/a", "reporter": "ceo"]) }
    }
}
