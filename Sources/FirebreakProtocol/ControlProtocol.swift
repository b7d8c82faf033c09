import FirebreakCore

/// The control socket's protocol, version 1 (docs/socket-protocol.md): one JSON object per line each way.
/// Request: `{"v":1,"id":…,"op":"report","args":{…}}`. Reply: `{"v":1,"id":…,"ok":true,"result":…}` or
/// `{"v":1,"id":…,"ok":false,"error":{"code":…,"message":…}}`. The caller is who SO_PEERCRED says.
public enum ControlProtocol {
    public static let version: Int64 = 1
    /// The longest request line accepted; a report with its text fits many times over.
    public static let maxLine = 1 << 20

    /// One request: the client's id for it (echoed in the reply) and what it asks.
    public struct Request: Sendable, Hashable {
        public var id: JSONValue
        public var operation: ControlOperation

        public init(id: JSONValue, operation: ControlOperation) {
            self.id = id
            self.operation = operation
        }

        /// The request line, with its newline.
        public var line: [UInt8] {
            var out: [UInt8] = []
            JSONWriter.write(.object(["v": .int(version), "id": id, "op": .string(operation.name.rawValue), "args": operation.args]), into: &out)
            out.append(0x0A)
            return out
        }

        /// Decodes a request line (without its newline) that came with `files` descriptors. A refusal carries the
        /// id when the line had one, so that the reply can be matched to it. `admit`: as `ControlOperation(op:args:admit:)`.
        public static func decode(_ line: some Collection<UInt8>, files: Int,
                                  admit: (ControlOperation.Name) -> ProtocolError? = { _ in nil }) -> Result<Request, Refusal> {
            let request: JSONValue
            do { request = try JSONParser.parse(line) } catch {
                return .failure(Refusal(id: .null, error: ProtocolError(.badRequest, "not JSON: \(error)")))
            }
            let id = request["id"] ?? .null
            guard request["v"]?.intValue == version else {
                return .failure(Refusal(id: id, error: ProtocolError(.badVersion, "this daemon speaks protocol version \(version); send \"v\":1")))
            }
            guard let op = request["op"]?.stringValue else { return .failure(Refusal(id: id, error: ProtocolError(.badRequest, "\"op\" is missing"))) }
            guard files == 0 || ControlOperation.Name(rawValue: op)?.takesFiles == true else {
                return .failure(Refusal(id: id, error: ProtocolError(.badRequest, "files were passed with \"\(op)\", which takes none")))
            }
            do {
                return .success(Request(id: id, operation: try ControlOperation(op: op, args: request["args"] ?? .object([:]), admit: admit)))
            } catch {
                return .failure(Refusal(id: id, error: error))
            }
        }
    }

    /// A request refused before it was asked, with the id it carried.
    public struct Refusal: Error, Sendable {
        public var id: JSONValue
        public var error: ProtocolError
    }

    /// The reply to the request `id`.
    public static func reply(id: JSONValue, _ outcome: Result<JSONValue, ProtocolError>) -> JSONValue {
        switch outcome {
        case .success(let result): .object(["v": .int(version), "id": id, "ok": true, "result": result])
        case .failure(let error): .object(["v": .int(version), "id": id, "ok": false, "error": error.json])
        }
    }

    /// What a reply says: its result, or the daemon's error as it sent it.
    public static func outcome(of reply: JSONValue) -> Result<JSONValue, ProtocolError> {
        reply["ok"]?.boolValue == true ? .success(reply["result"] ?? .null) : .failure(ProtocolError(json: reply["error"] ?? .null))
    }
}
