import Foundation
import Testing
@testable import FirebreakTestSupport

/// `firebreak validate`, the real binary, on the shipped playbooks and on broken ones.
@Suite struct ValidateCommandTests {
    let firebreak = productPath("firebreak")

    @Test func theShippedPlaybooksAndRosterValidate() throws {
        let root = TestPaths.repoRoot
        let result = try run(firebreak, ["validate", "--playbooks", root + "/Playbooks", "--roster", root + "/Playbooks/roster.example.yaml"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ok: 9 playbooks"))
    }

    @Test func brokenPlaybooksFailWithFileLineAndColumn() throws {
        let dir = TempDir("validate")
        let root = TestPaths.repoRoot
        try FileManager.default.copyItem(atPath: root + "/Playbooks/general-triage.yaml", toPath: dir.sub("general-triage.yaml"))
        try "id: leak\ntitle: Leak\nmatch: {categories: [confidential-information]}\nseverity: high\nacknowledge: 15m\nsteps:\n  - {id: a, title: A, owner: comms, due: 1h}\n  - {id: b, title: B, owner: legal, due: 2 hours}\n"
            .write(toFile: dir.sub("leak.yaml"), atomically: true, encoding: .utf8)
        let result = try run(firebreak, ["validate", "--playbooks", dir.path, "--roster", root + "/Playbooks/roster.example.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout.contains(dir.sub("leak.yaml") + ":7:30: error: step \"a\" is owned by \"comms\", which is not a role in the roster"), "\(result.stdout)")
        #expect(result.stdout.contains(dir.sub("leak.yaml") + ":8:42: error: steps[1].due \"2 hours\" is not a duration"), "\(result.stdout)")
        #expect(result.stdout.contains("FAILED: 1 playbooks (general-triage), 2 errors"))
        let json = try run(firebreak, ["validate", "--playbooks", dir.path, "--roster", root + "/Playbooks/roster.example.yaml", "--json"])
        #expect(json.status == 1 && json.stdout.contains("\"ok\":false") && json.stdout.contains("\"line\":7"))
    }
}
