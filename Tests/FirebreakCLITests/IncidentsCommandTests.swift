import FirebreakCore
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak incidents` as responders and reporters use it against a running daemon: words found in what people
/// wrote, every filter, pages whose printed commands run as printed, and the three formats.
@Suite(.serialized) struct IncidentsCommandTests {
    @Test(.enabled(if: DaemonHarness.usersReady, "needs root and useradd to create the test users"))
    func aResponderFindsAnIncidentByWhatWasWrittenAndPagesThroughTheRest() throws {
        let dir = TempDir("incidents")
        chmod(dir.path, 0o755)
        let sockets = DaemonHarness()
        let (d, _) = try sockets.startDaemon(dir)
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        func cli(_ args: [String], as user: String? = DaemonHarness.responderUser) throws -> ProcessResult {
            try sockets.cli(args, as: user, socket: d.socket)
        }
        let kim = DaemonHarness.reporterUser
        // Kim reports a leak on LinkedIn; eight other posts are reported by root (a reporter here).
        #expect(try cli(["report", "https://www.linkedin.com/posts/someone_activity-7100", "--category", "confidential-information",
                         "--text", "Our Q3 forecast slides, leaked", "--note", "from the sales deck"], as: kim).status == 0)
        for n in 1...8 {
            let category = ["harassment", "negative-viral", "impersonation"][n % 3]
            #expect(try cli(["report", "https://x.com/poster\(n)/status/\(9000 + n)", "--category", category, "--text", "post number \(n)"], as: nil).status == 0)
        }
        #expect(try cli(["ack", "INC-1"]).status == 0)
        #expect(try cli(["note", "INC-1", "Legal says the deck was shared under NDA"]).status == 0)
        #expect(try cli(["resolve", "INC-3", "--summary", "the platform removed it", "--abandon-open-steps"]).status == 0)

        // The LinkedIn post about the Q3 forecast: one command, words in any case, from the address and the text.
        let now = ISO8601DateFormatter().string(from: Date())
        let today = String(now.prefix(10))
        let found = try cli(["incidents", "LinkedIn", "q3", "FORECAST", "--since", today])
        #expect(found.status == 0 && found.stdout.contains("INC-1 ") && found.stdout.split(separator: "\n").count == 2, "\(found.stdout)\(found.stderr)")
        // Words from a report's note and a responder's note find it too; all words must appear.
        #expect(try cli(["incidents", "--text", "sales deck"]).stdout.contains("INC-1 "))
        #expect(try cli(["incidents", "nda"]).stdout.contains("INC-1 "))
        #expect(try cli(["incidents", "nda", "harassment-not-there"]).stdout.hasPrefix("no incidents match"))
        // A reporter never finds their incident by what the responders wrote, but does by its address.
        #expect(try cli(["incidents", "nda"], as: kim).stdout.hasPrefix("no incidents match"))
        #expect(try cli(["incidents", "linkedin"], as: kim).stdout.contains("INC-1 "))
        #expect(try cli(["incidents", "poster2"], as: kim).stdout.hasPrefix("no incidents match"), "not Kim's report")
        // Her own words find it; someone else's report on the same incident does not.
        #expect(try cli(["incidents", "sales", "deck"], as: kim).stdout.contains("INC-1 "))
        #expect(try cli(["report", "https://www.linkedin.com/posts/someone_activity-7100", "--text", "also seen by Amira's friend"], as: nil).status == 0)
        #expect(try cli(["incidents", "friend"]).stdout.contains("INC-1 "))
        #expect(try cli(["incidents", "friend"], as: kim).stdout.hasPrefix("no incidents match"))

        func ids(_ r: ProcessResult) throws -> [String] {
            try JSONParser.parse(r.stdout).arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try ids(cli(["incidents", "--status", "resolved", "--format", "json"])) == ["INC-3"])
        #expect(try ids(cli(["incidents", "--status", "open,acknowledged", "--format", "json"])).count == 8)
        #expect(try ids(cli(["incidents", "--category", "harassment", "--format", "json"])) == ["INC-7", "INC-4"])
        #expect(try ids(cli(["incidents", "--playbook", "confidential-information", "--json"])) == ["INC-1"])
        let all = try JSONParser.parse(try cli(["incidents", "--format", "json"]).stdout).arrayValue ?? []
        let high = all.filter { $0["severity"] == "high" }.compactMap { $0["id"]?.stringValue }
        #expect(!high.isEmpty && high.count < all.count && all.count == 9)
        #expect(try ids(cli(["incidents", "--severity", "high", "--format", "json"])) == high)
        #expect(try ids(cli(["incidents", "--owner", "nobody-here", "--format", "json"])).isEmpty)
        #expect(try ids(cli(["incidents", "--owner", "amira", "--format", "json"])).contains("INC-1"), "Amira's roster role owns INC-1's first step")
        #expect(try ids(cli(["incidents", "--until", today, "--format", "json"])).isEmpty, "nothing was opened before today")
        let bad = try cli(["incidents", "--status", "done"])
        #expect(bad.status != 0 && bad.stderr.contains("there is no status done; the statuses are open, acknowledged, resolved, closed"), "\(bad.stderr)")
        let badDate = try cli(["incidents", "--since", "March"])
        #expect(badDate.status != 0 && badDate.stderr.contains("\"since\" must be a date (2026-11-01)"), "\(badDate.stderr)")

        // Pages of three, newest first; the command each page prints is run as printed (by a shell).
        let environment = ["FIREBREAK_SOCKET": d.socket, "PATH": (productPath("firebreak") as NSString).deletingLastPathComponent + ":/usr/bin:/bin"]
        func follow(_ r: ProcessResult, _ label: String) throws -> ProcessResult {
            let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix(label + ": ") }, "\(r.stdout)")
            return try run("/usr/sbin/runuser", ["-u", DaemonHarness.responderUser, "--", "/bin/sh", "-c", String(line.dropFirst(label.count + 2))], environment: environment)
        }
        func listed(_ r: ProcessResult) -> [String] {
            r.stdout.split(separator: "\n").dropFirst().compactMap { $0.hasPrefix("INC-") ? String($0.prefix { $0 != " " }) : nil }
        }
        let page1 = try cli(["incidents", "--limit", "3"])
        #expect(listed(page1) == ["INC-9", "INC-8", "INC-7"] && !page1.stdout.contains("Newer:"), "\(page1.stdout)")
        let page2 = try follow(page1, "Older")
        #expect(listed(page2) == ["INC-6", "INC-5", "INC-4"], "\(page2.stdout)\(page2.stderr)")
        let page3 = try follow(page2, "Older")
        #expect(listed(page3) == ["INC-3", "INC-2", "INC-1"] && !page3.stdout.contains("Older:"), "\(page3.stdout)")
        let back = try follow(page3, "Newer")
        #expect(listed(back) == ["INC-6", "INC-5", "INC-4"], "\(back.stdout)")
        #expect(listed(try follow(back, "Newer")) == ["INC-9", "INC-8", "INC-7"])
        // Filters and words carry over into the printed command, quoted for the shell.
        let filtered = try cli(["incidents", "post number", "--status", "open", "--limit", "2"])
        #expect(filtered.stdout.contains("Older: firebreak incidents --text 'post number' --status open --limit 2 --before INC-8")
                || filtered.stdout.contains("Older: firebreak incidents 'post number' --status open --limit 2 --before INC-8"), "\(filtered.stdout)")
        #expect(listed(try follow(filtered, "Older")) == ["INC-7", "INC-6"])

        let csv = try cli(["incidents", "--format", "csv", "--limit", "4"])
        let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.first == "id,status,severity,playbook,category,platform,opened_at,acknowledged_at,resolved_at,open_steps,title,url" && rows.count == 5, "\(csv.stdout)")
        #expect(rows.dropFirst().allSatisfy { $0.hasPrefix("INC-") && $0.split(separator: ",").last?.hasPrefix("https://") == true }, "\(csv.stdout)")
    }
}
