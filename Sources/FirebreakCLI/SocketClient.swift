import ArgumentParser
import FirebreakCore
#if canImport(Glibc)
import Glibc
#endif

/// Talks to firebreakd over its control socket: one request line out, one reply line back.
struct SocketClient {
    let path: String

    static func defaultPath(_ option: String?) -> String {
        option ?? ProcessEnvironment.value("FIREBREAK_SOCKET") ?? "/run/firebreak/firebreak.sock"
    }

    struct Failure: Error {
        let code: String
        let message: String
    }

    /// The reply's result, or a `Failure` with the daemon's code and message (or "not-running").
    func call(_ op: String, _ args: [String: JSONValue]) throws(Failure) -> JSONValue {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(code: "io", message: "cannot create a socket") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw Failure(code: "io", message: "socket path \(path) is too long") }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
            buf[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw Failure(code: "not-running", message: """
                the daemon is not running (nothing is listening on \(path)): start it with `systemctl start firebreakd` \
                or `./scripts/dev-up`, or point --socket / FIREBREAK_SOCKET at its socket
                """)
        }
        var out: [UInt8] = []
        JSONWriter.write(.object(["v": .int(1), "id": .int(1), "op": .string(op), "args": .object(args)]), into: &out)
        out.append(0x0A)
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(code: "io", message: "the daemon closed the connection") }
            sent += n
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !reply.contains(0x0A) {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(code: "io", message: "the daemon closed the connection without answering") }
            reply.append(contentsOf: chunk[0..<n])
        }
        let value: JSONValue
        do { value = try JSONParser.parse(reply[..<reply.firstIndex(of: 0x0A)!]) } catch {
            throw Failure(code: "io", message: "the daemon's answer is not JSON: \(error)")
        }
        if value["ok"]?.boolValue == true { return value["result"] ?? .null }
        throw Failure(code: value["error"]?["code"]?.stringValue ?? "error", message: value["error"]?["message"]?.stringValue ?? "refused")
    }
}

/// Options every command that talks to the daemon has.
struct DaemonOptions: ParsableArguments {
    @Option(help: "The daemon's control socket (default: $FIREBREAK_SOCKET or /run/firebreak/firebreak.sock).")
    var socket: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    var client: SocketClient { SocketClient(path: SocketClient.defaultPath(socket)) }

    /// Calls the daemon; on failure prints the message and exits: 1 refused, 3 the daemon is not running, 2 other.
    func call(_ op: String, _ args: [String: JSONValue]) throws -> JSONValue {
        do {
            return try client.call(op, args)
        } catch {
            if json {
                print(JSONValue.object(["ok": false, "error": .object(["code": .string(error.code), "message": .string(error.message)])]).jsonText)
            } else {
                printError("firebreak: \(error.message)")
            }
            switch error.code {
            case "not-running": throw ExitCode(3)
            case "io", "not-durable", "internal": throw ExitCode(2)
            default: throw ExitCode(1)
            }
        }
    }
}
