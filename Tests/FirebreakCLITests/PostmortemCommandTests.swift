import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak postmortem` and `firebreak metrics` against a running daemon with a signed journal: what a
/// manager, a responder and a reporter each get, and a proof that matches the journal on disk.
@Suite(.serialized) struct PostmortemCommandTests {
    @Test(.enabled(if: DaemonHarness.usersReady, "needs root and useradd to create the test users"))
    func thePostmortemMatchesTheJournalAndShowsReportersToManagersOnly() throws {
        let dir = TempDir("postmortem")
        chmod(dir.path, 0o755)
        let sockets = DaemonHarness()
        let key = dir.sub("key")
        #expect(try run(productPath("firebreak"), ["journal", "keygen", "--out", key]).status == 0)
        // root plays Dana, a manager.
        let roster = try String(contentsOfFile: try DaemonHarness.roster(in: dir), encoding: .utf8).replacingOccurrences(of: "unix_user: dana", with: "unix_user: root")
        try roster.write(toFile: dir.sub("roster-manager.yaml"), atomically: true, encoding: .utf8)
        let (d, _) = try sockets.startDaemon(dir, arguments: ["--roster", dir.sub("roster-manager.yaml"), "--signing-key", key, "--checkpoint-every", "5"])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        #expect(try sockets.cli(["report", "https://x.com/someone/status/7", "--category", "harassment", "--text", "about Sam"], as: DaemonHarness.reporterUser, socket: d.socket).status == 0)
        #expect(try sockets.cli(["ack", "INC-1"], as: DaemonHarness.responderUser, socket: d.socket).status == 0)
        // Steps are still open: resolving says which, and does nothing until told to abandon them.
        let refused = try sockets.cli(["resolve", "INC-1", "--summary", "removed"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(refused.status == 1 && refused.stderr.contains("still has 5 open steps (preserve-evidence, support-colleague, platform-report, hr-process, review)")
                && refused.stderr.contains("--abandon-open-steps"), "\(refused.stderr)")
        let resolved = try sockets.cli(["resolve", "INC-1", "--summary", "removed", "--abandon-open-steps"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(resolved.status == 0 && resolved.stdout.contains("INC-1 resolved; abandoned: preserve-evidence, support-colleague"), "\(resolved.stdout)\(resolved.stderr)")
        // More records, so that a checkpoint (every 5) follows the incident's last one.
        for n in 0..<3 { _ = try sockets.cli(["report", "https://x.com/other/status/\(n)"], socket: d.socket) }

        let json = try sockets.cli(["postmortem", "INC-1", "--format", "json"], socket: d.socket)
        #expect(json.status == 0, "\(json.stderr)")
        let p = try JSONParser.parse(json.stdout)
        #expect(p["reports"]?.arrayValue?.first?["reporter"]?.stringValue == DaemonHarness.reporterUser)
        #expect(p["summary"] == "removed" && p["status"] == "resolved")
        // The proof is the journal's: the first and last records' hashes are those on disk, and a signed
        // checkpoint after them covers them.
        let onDisk = journalRecords(d.state + "/journal")
        let first = try #require(p["proof"]?["first_seq"]?.intValue), last = try #require(p["proof"]?["last_seq"]?.intValue)
        #expect(onDisk.first { $0.seq == UInt64(first) }?.hash == p["proof"]?["first_hash"]?.stringValue)
        #expect(onDisk.first { $0.seq == UInt64(last) }?.hash == p["proof"]?["last_hash"]?.stringValue)
        #expect(onDisk.first { $0.seq == UInt64(last) }?.data["incident"] == "INC-1")
        let checkpointSeq = try #require(p["proof"]?["checkpoint"]?["seq"]?.intValue)
        #expect(checkpointSeq > last && onDisk.first { $0.seq == UInt64(checkpointSeq) }?.type == "journal.checkpoint")
        #expect(try run(productPath("firebreak"), ["journal", "verify", d.state + "/journal", "--key", key + ".pub"]).status == 0)

        let responder = try sockets.cli(["postmortem", "INC-1"], as: DaemonHarness.responderUser, socket: d.socket)
        #expect(responder.status == 0 && responder.stdout.contains("# Post-mortem: INC-1") && !responder.stdout.contains(DaemonHarness.reporterUser))
        #expect(responder.stdout.contains("Abandoned when the incident was resolved, never done: `preserve-evidence`, `support-colleague`"), "\(responder.stdout)")
        #expect(p["steps"]?.arrayValue?.filter { $0["abandoned"] == true }.count == 5)
        // The commands the post-mortem gives for checking its proof run as printed, against this journal.
        let check = try #require(responder.stdout.split(separator: "\n").first { $0.hasPrefix("Check: ") })
        let commands = check.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(commands.count == 2 && commands[0].contains("--key \(key).pub"), "\(check)")
        for line in commands {
            let words = line.split(separator: " ").map(String.init)
            let r = try run(productPath("firebreak"), Array(words.dropFirst()))
            #expect(words.first == "firebreak" && r.status == 0, "\(line): \(r.stdout)\(r.stderr)")
        }
        let reporter = try sockets.cli(["postmortem", "INC-1"], as: DaemonHarness.reporterUser, socket: d.socket)
        #expect(reporter.status == 1 && reporter.stderr.contains("for responders and managers"))
        let html = try sockets.cli(["postmortem", "INC-1", "--format", "html", "-o", dir.sub("pm.html")], socket: d.socket)
        #expect(html.status == 0 && String(decoding: readBytes(dir.sub("pm.html")), as: UTF8.self).hasPrefix("<!DOCTYPE html>"))

        let metrics = try sockets.cli(["metrics", "--json"], socket: d.socket)
        let m = try JSONParser.parse(metrics.stdout)
        #expect(m["incidents"] == 4 && m["time_to_resolve"]?["count"] == 1)
        let table = try sockets.cli(["metrics", "--since", "2000-01-01"], socket: d.socket)
        #expect(table.status == 0 && table.stdout.contains("Time to acknowledge: median") && table.stdout.contains("Incidents per week:"))
        #expect(d.stop() == 0)
    }
}
