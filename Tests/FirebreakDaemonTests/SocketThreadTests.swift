import FirebreakCore
import FirebreakDaemon
import FirebreakJournal
import FirebreakUnix
import Foundation
import Logging
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The control socket is served on a thread of its own: while the desk's thread is held in a sync, a new client
/// is accepted and a malformed request refused at once, and a report is answered only once its sync returns.
@Suite struct SocketThreadTests {
    /// One reply line from `fd` within `seconds`, or nil.
    static func replyLine(_ fd: Int32, within seconds: Int32) -> String? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !out.contains(0x0A) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, seconds * 1000) == 1 else { return nil }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func theSocketServesOthersWhileTheDeskIsHeldInASync() async throws {
        let dir = TempDir("socket-thread")
        let sync = DeskTests.SlowSync()
        let (desk, journal) = try DeskTests().open(dir, sync: sync)
        let evidence = try EvidenceStore(root: dir.sub("evidence"), maxBytes: 1 << 20, onSyncFailure: { _ in })
        let path = dir.sub("fb.sock")
        let socket = try ControlSocket.open(path: path, desk: desk, evidence: evidence, web: nil, logger: Logger(label: "test"))
        let service = Task { try await ControlSocketService(socket: socket).run() }
        defer { service.cancel() }
        var reporter = UnixSocket.connected(to: path)
        for _ in 0..<100 where reporter < 0 {
            try await Task.sleep(for: .milliseconds(10))
            reporter = UnixSocket.connected(to: path)
        }
        defer { close(reporter) }

        sync.held.store(true, ordering: .releasing)
        let report = #"{"v":1,"id":1,"op":"report","args":{"report":{"url":"https://x.com/b/status/1","category":"other"}}}"# + "\n"
        #expect(UnixSocket.sendAll(reporter, Array(report.utf8)))
        while !sync.holding.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }

        // The desk's thread is in the sync: another client is still accepted and refused with a reason.
        let other = UnixSocket.connected(to: path)
        defer { close(other) }
        #expect(UnixSocket.sendAll(other, Array("this is not json\n".utf8)))
        let refusal = Self.replyLine(other, within: 10)
        #expect(refusal?.contains(#""code":"bad-request""#) == true, "\(refusal ?? "no reply in 10 s")")
        #expect(sync.held.load(ordering: .acquiring) && journal.head.seq == 0)
        // The report is not answered before its sync returns.
        #expect(Self.replyLine(reporter, within: 0) == nil)

        sync.held.store(false, ordering: .releasing)
        let answer = Self.replyLine(reporter, within: 10)
        #expect(answer?.contains(#""ok":true"#) == true && answer?.contains("INC-1") == true, "\(answer ?? "no reply in 10 s")")
        #expect(journal.head.seq > 0)
        service.cancel()
        _ = await service.result
        try await journal.close()
    }
}
