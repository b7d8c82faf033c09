import ArgumentParser
import FirebreakCore
import FirebreakProtocol
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

    /// The reply's result, or the daemon's error (or `not-running`). `fds` go with the request (evidence files);
    /// a descriptor the daemon passes back with its reply is returned with it.
    func exchange(_ operation: ControlOperation, fds: [Int32] = []) throws(ProtocolError) -> (result: JSONValue, fd: Int32?) {
        guard UnixSocket.address(path) != nil else { throw ProtocolError(.io, "socket path \(path) is too long") }
        let fd = UnixSocket.connected(to: path)
        guard fd >= 0 else {
            throw ProtocolError(.notRunning, """
                the daemon is not running (nothing is listening on \(path)): start it with `systemctl start firebreakd` \
                or `./scripts/dev-up`, or point --socket / FIREBREAK_SOCKET at its socket
                """)
        }
        defer { close(fd) }
        let out = ControlProtocol.Request(id: .int(1), operation: operation).line
        guard UnixSocket.sendAll(fd, out, fds: fds) else { throw ProtocolError(.io, "the daemon closed the connection") }
        var reply: [UInt8] = []
        var passed: [Int32] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !reply.contains(0x0A) {
            let r = UnixSocket.receive(fd, into: &chunk)
            passed += r.fds
            guard r.count > 0 else {
                passed.forEach { close($0) }
                throw ProtocolError(.io, "the daemon closed the connection without answering")
            }
            reply.append(contentsOf: chunk[0..<r.count])
        }
        for extra in passed.dropFirst() { close(extra) }
        let value: JSONValue
        do { value = try JSONParser.parse(reply[..<reply.firstIndex(of: 0x0A)!]) } catch {
            passed.forEach { close($0) }
            throw ProtocolError(.io, "the daemon's answer is not JSON: \(error)")
        }
        switch ControlProtocol.outcome(of: value) {
        case .success(let result): return (result, passed.first)
        case .failure(let error):
            passed.forEach { close($0) }
            throw error
        }
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
    func call(_ operation: ControlOperation) throws -> JSONValue {
        try exchange(operation).result
    }

    func exchange(_ operation: ControlOperation, fds: [Int32] = []) throws -> (result: JSONValue, fd: Int32?) {
        do {
            return try client.exchange(operation, fds: fds)
        } catch {
            throw failed(error)
        }
    }

    /// Says why, the way `--json` asks, and gives the exit status for it.
    func failed(_ error: ProtocolError) -> ExitCode {
        if json {
            print(JSONValue.object(["ok": false, "error": error.json]).jsonText)
        } else {
            printError("firebreak: \(error.message)")
        }
        switch error.code {
        case .notRunning: return ExitCode(3)
        case .io, .notDurable, .internal: return ExitCode(2)
        default: return ExitCode(1)
        }
    }
}
