import ArgumentParser
import FirebreakCore
import FirebreakUnix
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

    /// The reply's result, or a `Failure` with the daemon's code and message (or "not-running"). `fds` go with
    /// the request (evidence files); a descriptor the daemon passes back with its reply is returned with it.
    func exchange(_ op: String, _ args: [String: JSONValue], fds: [Int32] = []) throws(Failure) -> (result: JSONValue, fd: Int32?) {
        guard UnixSocket.address(path) != nil else { throw Failure(code: "io", message: "socket path \(path) is too long") }
        let fd = UnixSocket.connected(to: path)
        guard fd >= 0 else {
            throw Failure(code: "not-running", message: """
                the daemon is not running (nothing is listening on \(path)): start it with `systemctl start firebreakd` \
                or `./scripts/dev-up`, or point --socket / FIREBREAK_SOCKET at its socket
                """)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        JSONWriter.write(.object(["v": .int(1), "id": .int(1), "op": .string(op), "args": .object(args)]), into: &out)
        out.append(0x0A)
        guard UnixSocket.sendAll(fd, out, fds: fds) else { throw Failure(code: "io", message: "the daemon closed the connection") }
        var reply: [UInt8] = []
        var passed: [Int32] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !reply.contains(0x0A) {
            let r = UnixSocket.receive(fd, into: &chunk)
            passed += r.fds
            guard r.count > 0 else {
                passed.forEach { close($0) }
                throw Failure(code: "io", message: "the daemon closed the connection without answering")
            }
            reply.append(contentsOf: chunk[0..<r.count])
        }
        for extra in passed.dropFirst() { close(extra) }
        let value: JSONValue
        do { value = try JSONParser.parse(reply[..<reply.firstIndex(of: 0x0A)!]) } catch {
            passed.forEach { close($0) }
            throw Failure(code: "io", message: "the daemon's answer is not JSON: \(error)")
        }
        if value["ok"]?.boolValue == true { return (value["result"] ?? .null, passed.first) }
        passed.forEach { close($0) }
        throw Failure(code: value["error"]?["code"]?.stringValue ?? "error", message: value["error"]?["message"]?.stringValue ?? "refused")
    }

    func call(_ op: String, _ args: [String: JSONValue]) throws(Failure) -> JSONValue {
        try exchange(op, args).result
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
        try exchange(op, args).result
    }

    func exchange(_ op: String, _ args: [String: JSONValue], fds: [Int32] = []) throws -> (result: JSONValue, fd: Int32?) {
        do {
            return try client.exchange(op, args, fds: fds)
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
