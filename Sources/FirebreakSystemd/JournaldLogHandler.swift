import CSystemd
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes structured records to journald with sd_journal_sendv.
///
/// journald silently drops fields whose names are not `[A-Z0-9_]`, so metadata keys are mapped: the ones
/// Firebreak uses to the documented fields (`incident` → INCIDENT_ID, `playbook` → PLAYBOOK, `step` → STEP,
/// `report` → REPORT_ID, `message_id` → MESSAGE_ID, the catalog's id for the event kind), others uppercased with
/// anything else turned into `_`.
public struct JournaldLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let identifier: String

    public init(label: String, identifier: String = "firebreakd") {
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let fieldNames: [String: String] = [
        "incident": "INCIDENT_ID", "playbook": "PLAYBOOK", "step": "STEP", "report": "REPORT_ID", "message_id": "MESSAGE_ID",
    ]

    public static func fieldName(_ key: String) -> String {
        if let known = fieldNames[key] { return known }
        var name = String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
        if name.first == "_" || name.first?.isNumber == true { name = "F" + name }
        return name.isEmpty ? "F" : String(name.prefix(64))
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public func log(event: LogEvent) {
        var fields = [
            "MESSAGE=\(event.message)", "PRIORITY=\(Self.priority(event.level))", "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)", "CODE_LINE=\(event.line)", "CODE_FUNC=\(event.function)",
        ]
        if let error = event.error { fields.append("ERROR=\(error)") }
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
        if !Self.send(fields) {
            // journald is not there: do not lose the message.
            let text = "\(event.level) \(identifier): \(event.message)\n"
            _ = text.withCString { write(2, $0, strlen($0)) }
        }
    }

    /// sd_journal_sendv with one iovec per `FIELD=value`; false when journald did not take it.
    static func send(_ fields: [String]) -> Bool {
        // Each field copied to memory of its own, alive for the whole call.
        let parts: [(UnsafeMutableRawPointer, Int)] = fields.map { field in
            let bytes = Array(field.utf8)
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
            bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            return (p, bytes.count)
        }
        defer { for (p, _) in parts { p.deallocate() } }
        var iovecs = parts.map { iovec(iov_base: $0.0, iov_len: $0.1) }
        return sd_journal_sendv(&iovecs, Int32(iovecs.count)) >= 0
    }
}
