import Crypto
import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Snapshots on the real daemon: a start reads only the records after the snapshot and has the same state as a
/// full replay; a snapshot that is torn, does not match the journal, or was edited is never trusted.
@Suite(.serialized) struct SnapshotTests {
    let sockets = DaemonHarness()

    func report(_ socket: String, _ n: Int) {
        let line = #"{"v":1,"id":\#(n),"op":"report","args":{"report":{"url":"https://x.com/p\#(n % 7)/status/\#(n)","category":"negative-viral","text":"post \#(n)"}}}"#
        #expect(MalformedInputTests.socketReply(socket, line)["ok"]?.boolValue == true)
    }

    /// Everything a reader sees: the incident list and each incident in full.
    func view(_ socket: String) -> [JSONValue] {
        let list = MalformedInputTests.socketReply(socket, #"{"v":1,"id":1,"op":"incidents","args":{"limit":1000}}"#)
        let ids = (list["result"]?["incidents"]?.arrayValue ?? list["result"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        return [list["result"] ?? .null] + ids.sorted().map { MalformedInputTests.socketReply(socket, #"{"v":1,"id":2,"op":"show","args":{"incident":"\#($0)"}}"#)["result"] ?? .null }
    }

    /// Each incident's post-mortem timeline, as a responder gets it (read through the incident index, which a
    /// snapshot carries); empty when the test users cannot be made.
    func timelines(_ socket: String, _ ids: [String]) -> [String: [JSONValue]] {
        guard DaemonHarness.usersReady else { return [:] }
        var out: [String: [JSONValue]] = [:]
        for id in ids {
            let text = (try? sockets.cli(["postmortem", id, "--format", "json"], as: DaemonHarness.responderUser, socket: socket).stdout) ?? ""
            out[id] = (try? JSONParser.parse(text))?["timeline"]?.arrayValue ?? []
        }
        return out
    }

    /// Every incident's timeline after is its timeline before and then what came since (the notifier delivers
    /// on its own time), read from the same journal by a daemon that started from a snapshot.
    func expectTimelinesGoOn(_ before: [String: [JSONValue]], _ after: [String: [JSONValue]]) {
        for (id, was) in before {
            let now = after[id] ?? []
            #expect(was.count >= 3 && now.count >= was.count && Array(now.prefix(was.count)) == was,
                    "\(id): \(was.count) timeline entries before, \(now.count) after")
        }
    }

    func log(_ d: DaemonHarness.Running) -> String { String(decoding: readBytes(d.log), as: UTF8.self) }

    func waitFor(_ text: String, in d: DaemonHarness.Running) -> Bool {
        for _ in 0..<500 {
            if log(d).contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    @Test func aStartFromASnapshotReadsOnlyWhatFollowsItAndSeesTheSameState() throws {
        let dir = TempDir("snapshot")
        var (d, _) = try sockets.startDaemon(dir, arguments: ["--snapshot-every", "10"])
        for n in 1...40 { report(d.socket, n) }
        let before = view(d.socket)
        #expect(before.count > 7, "the list and 7 incidents")
        let ids = (1...7).map { "INC-\($0)" }
        let timelinesBefore = timelines(d.socket, ids)
        // Killed, not stopped: the snapshot is the last one written on the way.
        kill(d.process.processIdentifier, SIGKILL)
        d.process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: d.state + "/snapshot/state.json"))
        (d, _) = try sockets.startDaemon(dir, arguments: ["--snapshot-every", "10"])
        #expect(log(d).contains("replayed from the snapshot at seq"), "\(log(d))")
        #expect(view(d.socket) == before)
        expectTimelinesGoOn(timelinesBefore, timelines(d.socket, ids))
        #expect(waitFor("checked against the journal", in: d), "\(log(d))")
        for n in 41...45 { report(d.socket, n) }
        let after = view(d.socket)
        let timelinesAfter = timelines(d.socket, ids)
        #expect(d.stop() == 0)
        // A clean stop leaves a snapshot at the end: the next start replays only the stop's own records.
        (d, _) = try sockets.startDaemon(dir)
        let started = log(d)
        let seq = started.range(of: "from the snapshot at seq ").map { Int(started[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
        let head = started.range(of: "to seq ").map { Int(started[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
        #expect(seq > 0 && head - seq <= 3, "resumed at \(seq), head \(head): only daemon.stopped and its checkpoint after it")
        #expect(view(d.socket) == after)
        expectTimelinesGoOn(timelinesAfter, timelines(d.socket, ids))
        #expect(d.stop() == 0)
        #expect(try JournalVerifier.verify(directory: d.state + "/journal", keys: []).intact)
    }

    @Test func aTornSnapshotOrOneNotMatchingTheJournalIsSetAsideAndTheWholeJournalReplayed() throws {
        let dir = TempDir("snapshot-bad")
        var (d, _) = try sockets.startDaemon(dir)
        for n in 1...12 { report(d.socket, n) }
        let before = view(d.socket)
        #expect(d.stop() == 0)
        let path = d.state + "/snapshot/state.json"
        let good = readBytes(path)

        // Cut short.
        writeBytes(path, Array(good.prefix(good.count - 100)))
        (d, _) = try sockets.startDaemon(dir)
        #expect(log(d).contains("snapshot not used") && !log(d).contains("from the snapshot at seq"), "\(log(d))")
        #expect(view(d.socket) == before)
        #expect(d.stop() == 0)

        // Intact, but naming a record the journal does not hold with that hash.
        var text = String(decoding: readBytes(path), as: UTF8.self)
        let hash = text.range(of: #""hash":""#).map { text[$0.upperBound...].prefix(64) }!
        text = text.replacingOccurrences(of: String(hash), with: String(repeating: "e", count: 64))
        writeBytes(path, Array(text.utf8))
        (d, _) = try sockets.startDaemon(dir)
        #expect(log(d).contains("snapshot does not match the journal"), "\(log(d))")
        #expect(view(d.socket) == before)
        #expect(d.stop() == 0)
    }

    @Test func anEditedSnapshotIsFoundByTheCheckAndTheDaemonStopsRatherThanActOnIt() throws {
        let dir = TempDir("snapshot-edited")
        var (d, _) = try sockets.startDaemon(dir)
        for n in 1...5 { report(d.socket, n) }
        let before = view(d.socket)
        #expect(d.stop() == 0)
        // Change a severity and re-make the header's digest and size, as someone editing it by hand would.
        let path = d.state + "/snapshot/state.json"
        let bytes = readBytes(path)
        let nl = bytes.firstIndex(of: 0x0A)!
        let body = String(decoding: bytes[(nl + 1)...], as: UTF8.self).replacingOccurrences(of: #""medium","open""#, with: #""critical","open""#)
        #expect(body != String(decoding: bytes[(nl + 1)...], as: UTF8.self), "the snapshot holds an open medium incident to edit")
        var header = try JSONParser.parse(bytes[..<nl])
        guard case .object(var h) = header else { return }
        h["sha256"] = .string(SnapshotTests.sha256(Array(body.utf8)))
        h["bytes"] = .int(Int64(body.utf8.count))
        header = .object(h)
        var out: [UInt8] = []
        JSONWriter.write(header, into: &out)
        writeBytes(path, out + [0x0A] + Array(body.utf8))

        // The check may finish before READY or after it: either way the daemon must stop.
        (d, _) = try sockets.startDaemon(dir, waitForReady: false)
        d.process.waitUntilExit()
        #expect(d.process.terminationStatus == 3, "\(log(d))")
        #expect(log(d).contains("does not hold up against the journal"), "\(log(d))")
        #expect(FileManager.default.fileExists(atPath: d.state + "/snapshot/state.json.rejected"))
        let why = String(decoding: readBytes(d.state + "/snapshot/state.json.rejected.why"), as: UTF8.self)
        #expect(why.contains("differs from the snapshot"), "\(why)")
        (d, _) = try sockets.startDaemon(dir)
        #expect(!log(d).contains("from the snapshot at seq"))
        #expect(view(d.socket) == before)
        #expect(d.stop() == 0)
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }
}
