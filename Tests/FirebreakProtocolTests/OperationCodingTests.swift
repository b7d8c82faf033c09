import FirebreakCore
import FirebreakProtocol
import Foundation
import Testing

/// The operations as the command line encodes them and the socket and the JSON API decode them.
@Suite struct OperationCodingTests {
    static let until = Timestamp(rfc3339: "2026-12-08T09:00:00Z")!

    /// One of every operation, with its optional arguments both given and left out.
    static let samples: [ControlOperation] = [
        .whoami, .webLogin,
        .report(Report(url: "https://x.com/a/status/1", platform: "x", category: .confidentialInformation, text: "Q3 figures", views: 10), key: "k1", files: ["a.png", "b.pdf"]),
        .report(Report(url: "https://www.linkedin.com/posts/p-1"), key: nil, files: []),
        .postmortem(incident: "INC-1"), .show(incident: "INC-2"),
        .metrics(since: Timestamp(rfc3339: "2026-11-01T00:00:00Z"), until: until), .metrics(since: nil, until: nil),
        .evidence(incident: "INC-3", sha256: String(repeating: "ab", count: 32)),
        .incidents(IncidentFilter()), .incidents(IncidentFilter(mine: true, open: true, overdue: true, limit: 5)),
        .incidents(IncidentFilter(status: ["open", "closed"], playbook: "harassment", category: "harassment", severity: "high", owner: "amira",
                                  since: Timestamp(rfc3339: "2026-03-01T00:00:00Z"), until: Timestamp(rfc3339: "2026-04-01T00:00:00Z"),
                                  text: "q3 forecast", before: "INC-40", limit: 20)),
        .incidents(IncidentFilter(after: "INC-2")),
        .reports(file: "r1.json"), .reports(file: nil),
        .onCall(role: "comms-lead"), .onCall(role: nil),
        .override(role: "comms-lead", person: "ana", until: until, reason: "swap"),
        .override(role: "comms-lead", person: "ana", until: until, reason: nil),
        .ack(incident: "INC-4", step: nil), .ack(incident: "INC-4", step: "contain"),
        .done(incident: "INC-5", step: "contain", note: "taken down"), .done(incident: "INC-5", step: "contain", note: nil),
        .skip(incident: "INC-6", step: "legal", reason: "not needed"),
        .assign(incident: "INC-7", step: "contain", to: "ben"),
        .escalate(incident: "INC-8", step: "contain", reason: "stuck"), .escalate(incident: "INC-8", step: nil, reason: "stuck"),
        .resolve(incident: "INC-9", summary: "removed", abandonOpenSteps: true), .resolve(incident: "INC-9", summary: "removed", abandonOpenSteps: false),
        .close(incident: "INC-10", reason: "dup"), .close(incident: "INC-10", reason: nil),
        .reopen(incident: "INC-11", reason: "back up"),
        .note(incident: "INC-12", text: "called the platform"),
    ]

    @Test func everyOperationHasASample() {
        let named = Set(Self.samples.map(\.name))
        #expect(named == Set(ControlOperation.Name.allCases))
    }

    @Test(arguments: samples) func decodesWhatItEncodes(_ operation: ControlOperation) throws {
        let decoded = try ControlOperation(op: operation.name.rawValue, args: operation.args)
        #expect(decoded == operation)
    }

    @Test(arguments: samples) func aRequestLineRoundTrips(_ operation: ControlOperation) throws {
        let request = ControlProtocol.Request(id: .string("r-7"), operation: operation)
        let line = request.line
        #expect(line.last == 0x0A)
        let files = operation.name.takesFiles ? 2 : 0
        let decoded = try ControlProtocol.Request.decode(line.dropLast(), files: files).get()
        #expect(decoded == request)
    }

    /// Changes map to the engine's commands; reads and reports to none (a report's command is the daemon's to make).
    @Test func onlyChangesHaveACommand() {
        for operation in Self.samples {
            let changes = ![.whoami, .webLogin, .report, .postmortem, .show, .metrics, .evidence, .incidents, .reports, .oncall].contains(operation.name)
            #expect((operation.command != nil) == changes, "\(operation.name)")
            if let command = operation.command { #expect(command.name == operation.name.rawValue) }
        }
        #expect(ControlOperation.ack(incident: "INC-1", step: "s").command == .acknowledgeStep(incident: "INC-1", step: "s"))
        #expect(ControlOperation.ack(incident: "INC-1", step: nil).command == .acknowledge(incident: "INC-1"))
    }

    @Test func anIncidentMayBeWrittenAnyWay() throws {
        for written in ["INC-7", "inc-7", "7", "#7"] {
            let op = try ControlOperation(op: "show", args: ["incident": .string(written)])
            #expect(op == .show(incident: "INC-7"))
        }
    }

    @Test func eachBadArgumentIsNamed() {
        func refusal(_ op: String, _ args: JSONValue) -> ProtocolError? {
            do throws(ProtocolError) { _ = try ControlOperation(op: op, args: args); return nil } catch { return error }
        }
        let cases: [(String, JSONValue, ProtocolError.Code, String)] = [
            ("ack", [:], .badRequest, "ack needs \"incident\""),
            ("done", ["incident": "INC-1"], .badRequest, "done needs \"step\""),
            ("note", ["incident": "INC-1", "text": 5], .badRequest, "\"text\" must be a string"),
            ("override", ["role": "r", "person": "p", "until": "tomorrow"], .badRequest, "\"until\" must be an RFC 3339 time"),
            ("metrics", ["since": "last week"], .badRequest, "\"since\" must be a date (2026-11-01) or an RFC 3339 time"),
            ("incidents", ["limit": -1], .badRequest, "\"limit\" must be 0 or more"),
            ("report", [:], .invalidReport, "report report: must be a JSON object"),
            ("report", ["report": ["url": "https://x.com/a/status/1"], "evidence": [["file": "a.png"]]], .badRequest, "evidence[0] needs a \"name\""),
            ("frobnicate", [:], .unknownOp, "unknown operation \"frobnicate\""),
        ]
        for (op, args, code, message) in cases {
            let error = refusal(op, args)
            #expect(error == ProtocolError(code, message), "\(op) \(args)")
        }
    }

    @Test func aDateIsTheStartOfItsDay() throws {
        let op = try ControlOperation(op: "metrics", args: ["since": "2026-11-01"])
        #expect(op == .metrics(since: Timestamp(rfc3339: "2026-11-01T00:00:00Z"), until: nil))
    }
}

@Suite struct RequestFramingTests {
    func refusal(_ text: String, files: Int = 0) -> ControlProtocol.Refusal? {
        if case .failure(let r) = ControlProtocol.Request.decode(Array(text.utf8), files: files) { return r }
        return nil
    }

    @Test func refusalsKeepTheRequestsID() {
        let notJSON = refusal("{nope")
        #expect(notJSON?.id == .null)
        #expect(notJSON?.error.code == .badRequest)
        let version = refusal(#"{"v":2,"id":9,"op":"whoami"}"#)
        #expect(version?.id == .int(9))
        #expect(version?.error == ProtocolError(.badVersion, "this daemon speaks protocol version 1; send \"v\":1"))
        let noOp = refusal(#"{"v":1,"id":"a"}"#)
        #expect(noOp?.id == .string("a"))
        #expect(noOp?.error == ProtocolError(.badRequest, "\"op\" is missing"))
    }

    /// Files go only with a report, and are refused before the operation is even known.
    @Test func filesOnlyWithAReport() {
        let withAck = refusal(#"{"v":1,"id":1,"op":"ack","args":{"incident":"INC-1"}}"#, files: 1)
        #expect(withAck?.error == ProtocolError(.badRequest, "files were passed with \"ack\", which takes none"))
        let withUnknown = refusal(#"{"v":1,"id":1,"op":"nope"}"#, files: 1)
        #expect(withUnknown?.error.code == .badRequest)
    }

    @Test func aReplyIsItsResultOrItsError() {
        let ok = ControlProtocol.reply(id: .int(3), .success(["incident": "INC-1"]))
        #expect(ok == ["v": 1, "id": 3, "ok": true, "result": ["incident": "INC-1"]])
        #expect(ControlProtocol.outcome(of: ok) == .success(["incident": "INC-1"]))
        let refused = ControlProtocol.reply(id: .int(4), .failure(ProtocolError(.invalidState, "acknowledge it first")))
        #expect(refused == ["v": 1, "id": 4, "ok": false, "error": ["code": "invalid-state", "message": "acknowledge it first"]])
        #expect(ControlProtocol.outcome(of: refused) == .failure(ProtocolError(.invalidState, "acknowledge it first")))
    }
}

@Suite struct ProtocolErrorTests {
    /// One spelling per code: lowercase words joined by hyphens, each listed in docs/socket-protocol.md.
    @Test func everyCodeIsSpelledOnceAndDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/socket-protocol.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let section = try #require(text.range(of: "## Error codes")).upperBound
        let listed = String(text[section...])
        for code in ProtocolError.Code.all {
            let spelling = code.description
            #expect(spelling.allSatisfy { $0.isLowercase || $0 == "-" }, "\(spelling)")
            #expect(listed.contains("`\(spelling)`"), "\(spelling) is not in docs/socket-protocol.md")
        }
        #expect(Set(ProtocolError.Code.all.map(\.description)).count == ProtocolError.Code.all.count)
    }

    @Test func everyOperationIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/socket-protocol.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for name in ControlOperation.Name.allCases {
            #expect(text.contains("| `\(name.rawValue)` |"), "\(name.rawValue) is not in the operations table")
        }
    }

    /// The engine's refusals keep their codes on the wire, each one this protocol knows.
    @Test func engineCodesAreProtocolCodes() {
        let engine: [EngineError.Code] = [.forbidden, .unknownIncident, .unknownStep, .unknownPerson, .invalidState, .invalidReport, .noPlaybook, .duplicate]
        let known = Set(ProtocolError.Code.all)
        for code in engine {
            #expect(known.contains(ProtocolError.Code(code)), "\(code.rawValue)")
            #expect(ProtocolError.Code(code).description == code.rawValue)
        }
        let duplicate = ProtocolError(EngineError(.duplicate, "seen", incident: "INC-3"))
        #expect(duplicate == ProtocolError(.duplicate, "already reported: it went to INC-3"))
    }

    /// A newer daemon's code is shown as it was sent, not turned into another.
    @Test func anUnknownCodeIsKept() {
        let e = ProtocolError(json: ["code": "rate-limited", "message": "slow down"])
        #expect(e.code.description == "rate-limited")
        #expect(e.code != .badRequest)
        #expect(e.json == ["code": "rate-limited", "message": "slow down"])
    }
}
