import FirebreakCore
import Testing
@testable import FirebreakTestSupport

/// What an evidence file is, from its first bytes, and which names a reporter may give one.
@Suite struct EvidenceValueTests {
    @Test func theTypeComesFromTheFirstBytesNotTheName() {
        #expect(Evidence.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == "image/png")
        #expect(Evidence.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        #expect(Evidence.sniff(Array("GIF89a....".utf8)) == "image/gif")
        #expect(Evidence.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == "image/webp")
        #expect(Evidence.sniff(Array("%PDF-1.7\n".utf8)) == "application/pdf")
        #expect(Evidence.sniff(Array("  <!DOCTYPE html><html>".utf8)) == "text/html")
        #expect(Evidence.sniff(Array("MIME-Version: 1.0\r\nContent-Type: multipart/related".utf8)) == "message/rfc822")
        #expect(Evidence.sniff(Array("{\"post\": 1}".utf8)) == "application/json")
        #expect(Evidence.sniff(Array("just what the post said\n".utf8)) == "text/plain")
        #expect(Evidence.sniff([0x00, 0x01, 0x02, 0xFE]) == "application/octet-stream")
        #expect(Evidence.sniff([]) == "text/plain" || Evidence.sniff([]) == "application/octet-stream")
        // A multi-byte character cut at the 512-byte look-ahead is still text.
        #expect(Evidence.sniff(Array(String(repeating: "é", count: 300).utf8)) == "text/plain")
    }

    @Test func namesMustBePlainFileNames() {
        #expect(Evidence.problem(withName: "screenshot 1.png") == nil)
        #expect(Evidence.problem(withName: "") != nil)
        #expect(Evidence.problem(withName: "../x")?.contains("dot") == true)
        #expect(Evidence.problem(withName: "a/b")?.contains("without directories") == true)
        #expect(Evidence.problem(withName: ".hidden") != nil)
        #expect(Evidence.problem(withName: "bell\u{7}.png")?.contains("control") == true)
        #expect(Evidence.problem(withName: String(repeating: "x", count: 256)) != nil)
    }

    @Test func aReportNamesAtMostTenFilesEachWithAPlainName() throws {
        let ok = try Report(json: ["url": "https://x.com/a/status/1", "evidence": ["a.png", "b.pdf"]])
        #expect(ok.evidence == ["a.png", "b.pdf"])
        #expect(throws: Report.Problem.self) { try Report(json: ["url": "https://x.com/a/status/1", "evidence": ["../../etc/passwd"]]) }
        do {
            _ = try Report(json: ["url": "https://x.com/a/status/1", "evidence": .array((0..<11).map { .string("f\($0)") })])
            Issue.record("eleven files were taken")
        } catch {
            #expect(error.field == "evidence" && error.reason.contains("at most 10"))
        }
    }

    @Test func evidenceRoundTripsThroughItsJournalForm() {
        let e = Evidence(name: "shot.png", sha256: String(repeating: "ab", count: 32), size: 608, type: "image/png")
        #expect(Evidence(json: e.json) == e)
        #expect(Evidence(json: ["name": "x", "sha256": "not-a-digest", "size": 1, "type": "text/plain"]) == nil)
    }
}
