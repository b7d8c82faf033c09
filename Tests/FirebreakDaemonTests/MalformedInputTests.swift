import FirebreakCore
@testable import FirebreakJournal
import FirebreakUnix
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A corpus of malformed inputs for the spool, the control socket and the web pages, against one running daemon:
/// each is refused with a reason that names what is wrong, nothing of it reaches the journal as a report, and
/// the daemon keeps serving everyone else throughout (part of issue 7's fault suite).
@Suite(.serialized) struct MalformedInputTests {
    /// A raw HTTP/1.1 exchange on a fresh connection (so half-sent and odd requests can be made).
    static func http(_ port: Int, _ request: [UInt8], closeAfterSend: Bool = false) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian), sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0 else { return "" }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if closeAfterSend { shutdown(fd, Int32(SHUT_WR)) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[0..<n]
            if let text = String(validating: out, as: UTF8.self), text.contains("\r\n\r\n"), let length = Self.contentLength(text),
               let head = text.range(of: "\r\n\r\n"), text.utf8.distance(from: head.upperBound, to: text.endIndex) >= length { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func contentLength(_ response: String) -> Int? {
        for line in response.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            return Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    static func socketReply(_ path: String, _ line: String) -> JSONValue {
        let reply = SocketTests.raw(path, Array((line + "\n").utf8))
        return (try? JSONParser.parse(reply.trimmingCharacters(in: .whitespacesAndNewlines))) ?? .null
    }

    @Test func everyMalformedInputIsRefusedWithAReasonAndTheDaemonServesOn() throws {
        let dir = TempDir("malformed")
        let sockets = DaemonHarness()
        let (d, _) = try sockets.startDaemon(dir, arguments: ["--http", "127.0.0.1:0"])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        let spool = d.state + "/spool"
        var port = 0
        for _ in 0..<200 where port == 0 {
            let log = String(decoding: readBytes(d.log), as: UTF8.self)
            if let r = log.range(of: "web pages on http://127.0.0.1:") { port = Int(log[r.upperBound...].prefix { $0.isNumber }) ?? 0 }
            usleep(20_000)
        }
        #expect(port > 0)
        var cases = 0

        // MARK: the spool: (file name, contents, words the .reason must hold)
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let spoolCases: [(String, [UInt8], String)] = [
            ("invalid-utf8", [0x7B, 0x22, 0x75, 0x72, 0x6C, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D], "UTF-8"),
            ("not-json", Array("url=https://x.com/a".utf8), "is not JSON"),
            ("array", Array(#"["https://x.com/a/status/1"]"#.utf8), "must be a JSON object"),
            ("deep-nesting", Array(deep.utf8), "is not JSON"),
            ("trailing-garbage", Array(#"{"url":"https://x.com/a/status/1"} {"#.utf8), "is not JSON"),
            ("empty", [], "is not JSON"),
            ("bom", [0xEF, 0xBB, 0xBF] + Array(#"{"url":"https://x.com/a/status/1"}"#.utf8), "is not JSON"),
            ("no-url", Array(#"{"category":"harassment"}"#.utf8), "field: url"),
            ("url-ftp", Array(#"{"url":"ftp://x.com/a"}"#.utf8), "field: url"),
            ("url-javascript", Array(#"{"url":"javascript:alert(1)"}"#.utf8), "field: url"),
            ("url-number", Array(#"{"url":42}"#.utf8), "field: url"),
            ("unknown-category", Array(#"{"url":"https://x.com/a/status/1","category":"rude"}"#.utf8), "field: category"),
            ("unknown-field", Array(#"{"url":"https://x.com/a/status/1","reporter":"ceo"}"#.utf8), "field: reporter"),
            ("reach-negative", Array(#"{"url":"https://x.com/a/status/1","reach":{"views":-5}}"#.utf8), "field: reach.views"),
            ("reach-string", Array(#"{"url":"https://x.com/a/status/1","reach":{"shares":"lots"}}"#.utf8), "field: reach.shares"),
            ("reach-huge", Array(#"{"url":"https://x.com/a/status/1","reach":{"views":1e400}}"#.utf8), "reach"),
            ("text-too-long", Array(#"{"url":"https://x.com/a/status/1","text":""#.utf8) + [UInt8](repeating: 0x61, count: 25_000) + Array(#""}"#.utf8), "field: text"),
            ("evidence-path", Array(#"{"url":"https://x.com/a/status/1","evidence":["../../etc/passwd"]}"#.utf8), "field: evidence[0]"),
            ("evidence-many", Array((#"{"url":"https://x.com/a/status/1","evidence":["# + (0..<11).map { "\"f\($0)\"" }.joined(separator: ",") + "]}").utf8), "at most 10"),
            ("nul-in-string", Array(#"{"url":"https://x.com/a/status/1","text":"a\u0000b"}"#.utf8) , "field: evidence"),
        ]
        for (name, bytes, _) in spoolCases { SpoolTests.drop(spool, name, bytes) }
        // A directory, a file with a newline and spaces in its name, and one never renamed out of tmp/.
        mkdir(spool + "/tmp/a-directory", 0o755)
        rename(spool + "/tmp/a-directory", spool + "/new/a-directory")
        SpoolTests.drop(spool, "odd name\nwith newline", Array(#"{"url":"ftp://odd"}"#.utf8))
        writeBytes(spool + "/tmp/never-renamed", Array(#"{"url":"https://x.com/tmp/status/1"}"#.utf8))
        for (name, _, words) in spoolCases where name != "nul-in-string" {
            #expect(waitUntil { FileManager.default.fileExists(atPath: spool + "/rejected/" + name + ".reason") }, "\(name)")
            let reason = String(decoding: readBytes(spool + "/rejected/" + name + ".reason"), as: UTF8.self)
            #expect(reason.contains(words), "\(name): \(reason)")
            cases += 1
        }
        // A NUL inside a JSON string is text like any other: taken, not refused.
        #expect(waitUntil { FileManager.default.fileExists(atPath: spool + "/done/nul-in-string") })
        #expect(waitUntil { FileManager.default.fileExists(atPath: spool + "/rejected/a-directory.reason") })
        #expect(String(decoding: readBytes(spool + "/rejected/a-directory.reason"), as: UTF8.self).contains("not a regular file"))
        #expect(waitUntil { FileManager.default.fileExists(atPath: spool + "/rejected/odd name\nwith newline.reason") })
        cases += 3

        // MARK: the socket: (request line, error code, words of the message)
        let sock = d.socket
        let socketCases: [(String, String, String)] = [
            ("hello", "bad-request", "not JSON"),
            (#"{"v":2,"op":"whoami"}"#, "bad-version", "version 1"),
            (#"{"v":1}"#, "bad-request", "\"op\" is missing"),
            (#"{"v":1,"op":"format-disk"}"#, "unknown-op", "format-disk"),
            (#"{"v":1,"op":"report","args":[]}"#, "invalid-report", "report"),
            (#"{"v":1,"op":"report","args":{}}"#, "invalid-report", "must be a JSON object"),
            (#"{"v":1,"op":"report","args":{"report":{"url":"gopher://x"}}}"#, "invalid-report", "url"),
            (#"{"v":1,"op":"report","args":{"report":{"url":"https://x.com/a","reach":{"views":99999999999999999999999}}}}"#, "invalid-report", "reach.views"),
            (#"{"v":1,"op":"show","args":{"incident":7}}"#, "bad-request", "must be a string"),
            (#"{"v":1,"op":"show","args":{"incident":"INC-999"}}"#, "unknown-incident", "INC-999"),
            (#"{"v":1,"op":"ack","args":{}}"#, "bad-request", "needs \"incident\""),
            (#"{"v":1,"op":"close","args":{"incident":"INC-1"}}"#, "forbidden", "only managers"),
            (#"{"v":1,"op":"evidence","args":{"incident":"INC-1","sha256":"zz"}}"#, "forbidden", "only responders"),
            (#"{"v":1,"op":"web-login","args":{}}"#, "", ""),
            (#"{"v":1,"op":"report","args":{"report":{"url":"https://x.com/a/status/9"},"evidence":[{"name":"x"}]}}"#, "bad-request", "names 1 files but 0"),
            (#"{"v":1,"op":"postmortem","args":{"incident":"INC-1"}}"#, "forbidden", "for responders and managers"),
            (#"{"v":1,"op":"metrics","args":{"since":"last tuesday"}}"#, "forbidden", "reporter"),
            ("{\"v\":1,\"op\":\"whoami\"} trailing", "bad-request", "not JSON"),
            (deep, "bad-request", "deep"),
        ]
        for (line, code, words) in socketCases where !code.isEmpty {
            let reply = Self.socketReply(sock, line)
            #expect(reply["ok"] == false && reply["error"]?["code"]?.stringValue == code, "\(line.prefix(80)): \(reply)")
            #expect(reply["error"]?["message"]?.stringValue?.contains(words) == true, "\(line.prefix(80)): \(reply)")
            cases += 1
        }
        // Invalid UTF-8, an oversized line, and a request sent in halves with a pause between them.
        #expect(SocketTests.raw(sock, [0x7B, 0xC3, 0x28, 0x7D, 0x0A]).contains("\"bad-request\""))
        #expect(SocketTests.raw(sock, [UInt8](repeating: 0x20, count: (1 << 20) + 100) + [0x0A]).contains("\"too-large\""))
        let slow = UnixSocket.connected(to: sock)
        _ = UnixSocket.sendAll(slow, Array(#"{"v":1,"op":"#.utf8))
        // …while it dawdles, everyone else is served.
        let meanwhile = Self.socketReply(sock, #"{"v":1,"id":5,"op":"report","args":{"report":{"url":"https://x.com/busy/status/1"}}}"#)
        #expect(meanwhile["ok"] == true, "\(meanwhile)")
        _ = UnixSocket.sendAll(slow, Array(#""whoami"}"#.utf8) + [0x0A])
        var buffer = [UInt8](repeating: 0, count: 4096)
        let got = UnixSocket.receive(slow, into: &buffer)
        #expect(String(decoding: buffer[0..<max(0, got.count)], as: UTF8.self).contains("\"ok\":true"))
        close(slow)
        // A client that sends half a request and goes away.
        let gone = UnixSocket.connected(to: sock)
        _ = UnixSocket.sendAll(gone, Array(#"{"v":1,"op":"rep"#.utf8))
        close(gone)
        cases += 4

        // MARK: the web pages and the API
        let login = try JSONParser.parse(try sockets.cli(["web-login", "--json"], socket: sock).stdout)
        let session = login["session"]?.stringValue ?? ""
        let auth = "Authorization: Bearer \(session)\r\n"
        func post(_ path: String, _ body: String, headers: String = "", type: String = "application/json") -> String {
            Self.http(port, Array("POST \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Content-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8))
        }
        let webCases: [(String, String)] = [
            (post("/api/report", "{not json", headers: auth), "400"),
            (post("/api/report", "[1,2]", headers: auth), "400"),
            (post("/api/report", #"{"report":{"url":"mailto:a@b"}}"#, headers: auth), "400"),
            (post("/api/launch", "{}", headers: auth), "400"),
            (post("/api/report", "{}"), "401"),
            (post("/api/report", "{}", headers: "Authorization: Bearer forged\r\n"), "401"),
            (post("/report", "url=https%3A%2F%2Fx.com%2Fa", headers: "Cookie: fb_session=\(session)\r\n", type: "application/x-www-form-urlencoded"), "403"),
            (post("/report", "csrf=%ZZ&url=%", headers: "Cookie: fb_session=\(session)\r\n", type: "application/x-www-form-urlencoded"), "403"),
            (Self.http(port, Array("GET /login?code=bogus HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)), "401"),
            (Self.http(port, Array("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)), "404"),
            (Self.http(port, Array("DELETE /board HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)), "40"),
            (post("/api/report", String(repeating: "a", count: 2 << 20), headers: auth), "413"),
            (Self.http(port, Array("GARBAGE\r\n\r\n".utf8)), "400"),
        ]
        for (i, (response, status)) in webCases.enumerated() {
            #expect(response.hasPrefix("HTTP/1.1 \(status)"), "web case \(i): \(response.prefix(200))")
            cases += 1
        }
        // Half a request, then the connection closed.
        _ = Self.http(port, Array("POST /api/report HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"rep".utf8), closeAfterSend: true)
        cases += 1

        #expect(cases >= 50, "\(cases) malformed inputs")
        // Still serving on every door, and none of it became a report.
        let fine = Self.socketReply(sock, #"{"v":1,"op":"report","args":{"report":{"url":"https://x.com/fine/status/1"}}}"#)
        #expect(fine["ok"] == true)
        #expect(post("/api/whoami", "{}", headers: auth).hasPrefix("HTTP/1.1 200"))
        SpoolTests.drop(spool, "good", Array(#"{"url":"https://x.com/good/status/1"}"#.utf8))
        #expect(waitUntil { FileManager.default.fileExists(atPath: spool + "/done/good") })
        #expect(FileManager.default.fileExists(atPath: spool + "/tmp/never-renamed"), "a file never renamed into new/ is not taken")
        let reports = journalRecords(d.state + "/journal").filter { $0.type == EventType.reportReceived }
        #expect(Set(reports.compactMap { $0.data["url"]?.stringValue }) == ["https://x.com/busy/status/1", "https://x.com/a/status/1", "https://x.com/fine/status/1", "https://x.com/good/status/1"])
        #expect(d.process.isRunning && d.stop() == 0)
    }
}
