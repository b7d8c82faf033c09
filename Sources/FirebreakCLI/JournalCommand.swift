import ArgumentParser
import FirebreakCore
import FirebreakJournal

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Check, read and key the tamper-evident journal.",
        subcommands: [JournalVerifyCommand.self, JournalShowCommand.self, JournalKeygenCommand.self]
    )
}

struct JournalVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every record's hash, the chain, seq and the signed checkpoints.",
        discussion: """
            Exit 0 when the journal is intact, saying up to which seq it is signed (records after that are \
            "unsealed"). Exit 1 with the first bad seq and the reason otherwise. With --key, a journal with no \
            checkpoint signed by one of the keys fails, as does any checkpoint signed by another key. \
            Exit 2 when the journal cannot be read. Lines are checked on every core; on a terminal, the bytes \
            read so far are shown on stderr as it goes.
            """
    )

    @Argument(help: "The journal directory (default: $FIREBREAK_STATE_DIR/journal or /var/lib/firebreak/journal).")
    var path: String?

    @Option(name: .long, help: "A public key file (base64 of the raw Ed25519 key); repeat for rotated keys.")
    var key: [String] = []

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let directory = path ?? defaultJournalPath()
        let keys: [VerificationKey]
        let report: VerifyReport
        do {
            keys = try key.map { try VerificationKey.load(path: $0) }
            let meter = ProgressLine(label: "verifying \(directory)")
            report = try JournalVerifier.verify(directory: directory, keys: keys, progress: meter.map { m in { m.show($0, of: $1) } })
            meter?.clear()
        } catch {
            printError("firebreak: \(error)")
            throw ExitCode(2)
        }
        if json {
            print(Self.json(report).jsonText)
        } else {
            print(Self.text(report))
        }
        if !report.intact { throw ExitCode(1) }
    }

    static func text(_ r: VerifyReport) -> String {
        var lines: [String] = []
        if let problem = r.problem {
            lines.append("journal \(r.directory): FAILED\(problem.location == nil ? ":" : " at") \(problem)")
            if r.lastSeq > 0 { lines.append("  records 1..\(r.lastSeq) before it are intact (last hash \(r.lastHash))") }
            return lines.joined(separator: "\n")
        }
        lines.append("journal \(r.directory): intact")
        if r.lastSeq == 0 {
            lines.append("  no records yet")
        } else {
            lines.append("  records 1..\(r.lastSeq) in \(r.segmentCount) segment\(r.segmentCount == 1 ? "" : "s") (\(r.byteCount) bytes), last hash \(r.lastHash)")
        }
        if let sealed = r.sealedThrough {
            let by = r.signaturesChecked ? "signed by key \(r.sealedBy ?? "?")" : "checkpointed (signatures not checked: give --key)"
            lines.append("  sealed up to seq \(sealed), \(by); \(r.checkpointCount) checkpoint\(r.checkpointCount == 1 ? "" : "s")")
            if r.unsealedCount > 0 {
                lines.append("  seq \(sealed + 2)..\(r.lastSeq) unsealed (\(r.unsealedCount) record\(r.unsealedCount == 1 ? "" : "s") after the last checkpoint)")
            }
        } else if r.lastSeq > 0 {
            lines.append("  unsealed: no signed checkpoint yet (all \(r.lastSeq) records)")
        }
        if !r.tornTailFiles.isEmpty {
            lines.append("  note: \(r.tornTailFiles.count) torn tail\(r.tornTailFiles.count == 1 ? "" : "s") cut off by recovery kept beside the segments: \(r.tornTailFiles.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ r: VerifyReport) -> JSONValue {
        var o: [String: JSONValue] = [
            "directory": .string(r.directory),
            "intact": .bool(r.intact),
            "last_seq": .int(Int64(r.lastSeq)),
            "last_hash": .string(r.lastHash),
            "records": .int(Int64(r.recordCount)),
            "bytes": .int(Int64(r.byteCount)),
            "segments": .int(Int64(r.segmentCount)),
            "checkpoints": .int(Int64(r.checkpointCount)),
            "signatures_checked": .bool(r.signaturesChecked),
            "sealed_through": r.sealedThrough.map { .int(Int64($0)) } ?? .null,
            "sealed_by": r.sealedBy.map { .string($0) } ?? .null,
            "unsealed": .int(Int64(r.unsealedCount)),
            "torn_tail_files": .array(r.tornTailFiles.map { .string($0) }),
        ]
        if let p = r.problem {
            var problem: [String: JSONValue] = ["reason": .string(p.reason)]
            if let l = p.location {
                problem["seq"] = .int(Int64(l.seq))
                problem["segment"] = .string(l.segment)
                problem["line"] = .int(Int64(l.line))
                problem["offset"] = .int(Int64(l.offset))
            }
            o["problem"] = .object(problem)
        }
        return .object(o)
    }
}

struct JournalShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print journal records, readable or as JSON lines.",
        discussion: """
            --json prints each record as it stands in the journal (one JSON object a line). Reading stops at \
            the first damaged record, with a warning on standard error and exit 1.
            """
    )

    @Argument(help: "The journal directory (default: $FIREBREAK_STATE_DIR/journal or /var/lib/firebreak/journal).")
    var path: String?

    @Flag(name: .long, help: "One JSON object per record.")
    var json = false

    @Option(name: .long, help: "Only records about this incident (their data's \"incident\").")
    var incident: String?

    @Option(name: .long, help: "Only records of this type; a trailing .* matches a family (report.*).")
    var type: String?

    @Option(name: .long, help: "Only records at or after this time: RFC 3339 (2026-11-22T08:00:00Z) or an age (30m, 2h, 3d).")
    var since: String?

    @Option(name: .long, help: "Start at this seq.")
    var fromSeq: UInt64 = 1

    func validate() throws {
        if let since, sinceTimestamp(since, now: JournalOptions.systemClock()) == nil {
            throw ValidationError("--since \(since): not an RFC 3339 time or an age such as 30m, 2h, 3d")
        }
    }

    func run() throws {
        let directory = path ?? defaultJournalPath()
        let cutoff = since.flatMap { sinceTimestamp($0, now: JournalOptions.systemClock()) }
        let scan: JournalScan
        do {
            scan = try JournalReader.scanLines(directory: directory, from: fromSeq) { record, line in
                if let incident, record.data["incident"]?.stringValue != incident { return }
                if let type {
                    if type.hasSuffix(".*") {
                        guard record.type.hasPrefix(String(type.dropLast(1))) else { return }
                    } else if record.type != type {
                        return
                    }
                }
                if let cutoff, record.time < cutoff { return }
                print(json ? String(decoding: line, as: UTF8.self) : Self.readable(record))
            }
        } catch {
            printError("firebreak: \(error)")
            throw ExitCode(2)
        }
        if let problem = scan.problem {
            printError("firebreak: stopped at \(problem); run `firebreak journal verify \(directory)`")
            throw ExitCode(1)
        }
    }

    static func readable(_ r: JournalRecord) -> String {
        let seq = String(r.seq)
        let pad = String(repeating: " ", count: max(0, 7 - seq.count))
        let type = r.type.count < 22 ? r.type + String(repeating: " ", count: 22 - r.type.count) : r.type
        let actor = r.actor.count < 14 ? r.actor + String(repeating: " ", count: 14 - r.actor.count) : r.actor
        var details: [String] = []
        for key in (r.data.objectValue ?? [:]).keys.sorted() {
            let value = r.data[key]!
            var text: String
            switch value {
            case .string(let s): text = s.contains(" ") ? "\"\(s)\"" : s
            default: text = value.jsonText
            }
            if text.count > 80 { text = String(text.prefix(77)) + "..." }
            details.append("\(key)=\(text)")
        }
        return "\(pad)\(seq)  \(r.time.rfc3339)  \(type) \(actor) \(details.joined(separator: " "))"
    }
}

/// An RFC 3339 time, or an age before `now` written as a number and a unit (s, m, h, d).
func sinceTimestamp(_ text: String, now: Timestamp) -> Timestamp? {
    if let t = Timestamp(rfc3339: text) { return t }
    guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
    let ms: Int64
    switch unit {
    case "s": ms = n * 1000
    case "m": ms = n * 60_000
    case "h": ms = n * 3_600_000
    case "d": ms = n * 86_400_000
    default: return nil
    }
    return now.adding(milliseconds: -ms)
}

struct JournalKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new Ed25519 key pair for signing journal checkpoints.",
        discussion: """
            Writes FILE (the private key, mode 0600) and FILE.pub (the public key), each one line of base64 of \
            the raw 32-byte key. Give the private key to the daemon (--signing-key, or the systemd credential \
            journal-signing-key) and the public key to whoever verifies. Existing files are never overwritten.
            """
    )

    @Option(name: .long, help: "Where to write the private key; the public key goes beside it with .pub added.")
    var out: String

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func run() throws {
        do {
            let (signer, publicPath) = try KeyFile.generate(privatePath: out)
            if json {
                print(JSONValue.object([
                    "private_key": .string(out), "public_key": .string(publicPath), "key_id": .string(signer.keyID),
                ]).jsonText)
            } else {
                print("wrote \(out) (private, mode 0600) and \(publicPath); key id \(signer.keyID)")
            }
        } catch {
            printError("firebreak: \(error)")
            throw ExitCode(2)
        }
    }
}
