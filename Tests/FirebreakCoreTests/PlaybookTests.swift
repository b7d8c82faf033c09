import FirebreakConfig
import FirebreakCore
import Foundation
import Testing
@testable import FirebreakTestSupport

@Suite struct PlaybookTests {
    @Test func theDefaultPlaybooksPassValidation() {
        #expect(!shipped.hasErrors, "\(shipped.diagnostics)")
        #expect(shipped.diagnostics.isEmpty, "no warnings either: \(shipped.diagnostics)")
        let ids = Set(shipped.playbooks.playbooks.map(\.id))
        #expect(ids == ["confidential-information", "privacy-breach", "harassment", "negative-viral", "unapproved-promotion",
                        "impersonation", "speaking-without-authority", "self-report", "general-triage"])
        for p in shipped.playbooks.playbooks {
            #expect(p.steps.first?.id == "preserve-evidence" || p.steps.prefix(2).contains { $0.id == "preserve-evidence" },
                    "\(p.id) preserves evidence early")
            #expect(p.steps.contains { $0.id == "review" }, "\(p.id) has a post-incident review step")
        }
    }

    @Test(arguments: ["30s", "15m", "2h", "3d", "1w", "1h30m", "PT15M", "P3D", "P1DT2H", "PT0.5S", "250ms"])
    func durationsParse(_ text: String) {
        #expect(TimeSpan(parsing: text) != nil)
    }

    @Test(arguments: [("true", true), ("True", true), ("yes", true), ("on", true), ("false", false), ("no", false), ("OFF", false)])
    func fallbackIsReadAsYAMLReadsABoolean(_ text: String, _ value: Bool) throws {
        // Scalars come from Yams as text (YAMLReader.resolver): the parser reads the boolean words itself.
        let match = value ? "{fallback: \(text)}" : "{categories: [harassment], fallback: \(text)}"  // a fallback matches nothing else
        let yaml = "id: x\ntitle: X\nmatch: \(match)\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n"
        let (playbook, diagnostics) = PlaybookParser.parse(yaml, file: "fallback.yaml", roster: shipped.roster)
        #expect(try #require(playbook, "\(diagnostics)").match.fallback == value)
    }

    @Test func durationsHaveTheRightLength() {
        #expect(TimeSpan(parsing: "1h30m") == .minutes(90))
        #expect(TimeSpan(parsing: "PT1H30M") == .minutes(90))
        #expect(TimeSpan(parsing: "P1DT2H") == .hours(26))
        #expect(TimeSpan(parsing: "2d")?.description == "2d")
    }

    @Test(arguments: ["", "15", "15 minutes", "-5m", "P1M", "P1Y", "1x", "m"])
    func badDurationsAreRefused(_ text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    /// A set of broken playbooks, each with the line, column and words of the error it must give.
    @Test(arguments: [
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h, after: [ghost]}\n",
         "7:5", "waits for \"ghost\", which is not a step"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legl, due: 1h}\n",
         "7:30", "is owned by \"legl\", which is not a role in the roster (did you mean \"legal\"?)"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: soon\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n",
         "5:14", "acknowledge \"soon\" is not a duration"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: 15m\nstepz: []\n",
         "6:1", "unknown key \"stepz\" in a playbook (did you mean \"steps\"?)"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n  - {id: a, title: B, owner: legal, due: 1h}\n",
         "8:10", "step id \"a\" is used twice"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h, after: [c]}\n  - {id: b, title: B, owner: legal, due: 1h, after: [a]}\n  - {id: c, title: C, owner: legal, due: 1h, after: [b]}\n",
         "7:3", "in a circle: a → c → b → a"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: severe\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n",
         "4:11", "severity \"severe\" is not a severity"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: 15m\nescalation:\n  levels:\n    - {after: 1h, notify: manager}\n    - {after: 10m, notify: boss}\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n",
         "9:28", "notify \"boss\" must be owner, backup, manager or role:<role id>"),
        ("id: x\ntitle: X\nmatch: {categories: [harrassment]}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n",
         "3:21", "unknown category \"harrassment\" (did you mean \"harassment\"?)"),
        ("id: x\ntitle: X\nmatch: {categories: [harassment]\nseverity: high\n",
         "", "not YAML"),
        ("id: X Y\ntitle: X\nmatch: {categories: [harassment]}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n",
         "1:5", "must be lowercase letters, digits and dashes"),
        ("id: x\ntitle: X\nmatch: {fallback: \"true\"}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n",
         "3:19", "match.fallback must be true or false"),
        ("id: x\ntitle: X\nmatch: {fallback: maybe}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n",
         "3:19", "match.fallback must be true or false"),
    ])
    func brokenPlaybooksGiveTheLineColumnAndReason(_ yaml: String, _ place: String, _ message: String) {
        let (playbook, diagnostics) = PlaybookParser.parse(yaml, file: "bad.yaml", roster: shipped.roster)
        #expect(playbook == nil)
        let hit = diagnostics.first { $0.message.contains(message) }
        #expect(hit != nil, "\(diagnostics)")
        if let hit, !place.isEmpty {
            #expect("\(hit.line ?? 0):\(hit.column ?? 0)" == place, "\(hit)")
        }
    }

    @Test func twoPlaybooksMatchingTheSameReportsEquallyAreAnErrorAndAMissingFallbackToo() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/fb-pb-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let body = "severity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: legal, due: 1h}\n"
        try ("id: one\ntitle: One\nmatch: {categories: [harassment, discrimination]}\n" + body).write(toFile: dir + "/one.yaml", atomically: true, encoding: .utf8)
        try ("id: two\ntitle: Two\nmatch: {categories: [discrimination]}\n" + body).write(toFile: dir + "/two.yaml", atomically: true, encoding: .utf8)
        try ("id: three\ntitle: Three\nmatch: {categories: [discrimination], keywords: [slur]}\n" + body).write(toFile: dir + "/three.yaml", atomically: true, encoding: .utf8)
        let loaded = ConfigFiles.load(playbooks: dir, roster: TestPaths.repoRoot + "/Playbooks/roster.example.yaml")
        let messages = loaded.diagnostics.map(\.message)
        #expect(messages.contains { $0.contains("\"one\" and \"two\" match the same reports equally") }, "\(messages)")
        #expect(!messages.contains { $0.contains("\"three\"") && $0.contains("equally") }, "three is more specific")
        #expect(messages.contains { $0.contains("no playbook has match.fallback") })
    }

    @Test func theMostSpecificPlaybookWinsAndTheChoiceSaysWhy() throws {
        var playbooks = shipped.playbooks.playbooks
        var special = try #require(shipped.playbooks["confidential-information"])
        special.id = "earnings-leak"
        special.match = Playbook.Match(categories: [.confidentialInformation], keywords: ["earnings", "board pack"], platforms: [])
        playbooks.append(special)
        let set = PlaybookSet(playbooks)
        let leak = Report(url: "https://x.com/a/status/1", category: .confidentialInformation, text: "Q3 EARNINGS before the call!")
        let choice = try #require(set.choose(for: leak, platform: "x"))
        #expect(choice.playbook.id == "earnings-leak")
        #expect(choice.reason == "matched on category confidential-information and keyword \"earnings\" (specificity 2)")
        // "earningsreport" is not the whole word "earnings".
        let other = Report(url: "https://x.com/a/status/2", category: .confidentialInformation, text: "#earningsreport", note: "from the Board  Pack.")
        #expect(set.choose(for: other, platform: "x")?.playbook.id == "earnings-leak", "multi-word keyword in the note")
        let plain = Report(url: "https://x.com/a/status/3", category: .confidentialInformation, text: "#earningsreport")
        #expect(set.choose(for: plain, platform: "x")?.playbook.id == "confidential-information")
        let nothing = Report(url: "https://x.com/a/status/4", category: .inappropriateContent)
        #expect(set.choose(for: nothing, platform: nil)?.playbook.id == "general-triage")
    }
}
