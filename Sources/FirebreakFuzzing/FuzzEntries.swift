import FirebreakCore
import FirebreakJournal

/// What the fuzzers feed, shared with the regression tests that replay every input a fuzzer once crashed on
/// (Tests/FuzzRegressions/), so a crash found by `scripts/fuzz` stays found. Each entry takes untrusted bytes
/// the way the daemon meets them; throwing is a refusal and fine, only a trap or a hang is a finding.
public enum FuzzEntries {
    /// A spool file or a socket `report` argument: JSON, then the report's fields.
    public static func report(_ bytes: UnsafeRawBufferPointer) {
        guard let json = try? JSONParser.parse(buffer: bytes) else { return }
        _ = try? Report(json: json)
        if case .object(let fields) = json, case .string(let url)? = fields["url"] {
            _ = PostAddress.canonical(url)
        }
    }

    /// A playbook file (YAML) checked against the sample roster, and the same bytes read as a roster.
    public static func playbook(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = PlaybookParser.parse(text, file: "fuzz.yaml", roster: roster)
        _ = RosterParser.parse(text, file: "fuzz-roster.yaml")
    }

    /// Journal lines: each checked as a record (hash, seq, fields), and each that parses as an object folded
    /// into an engine state whatever its hash, since a replay must survive any record an older daemon wrote.
    public static func journal(_ bytes: UnsafeRawBufferPointer) {
        var state = EngineState()
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            switch RecordLine.decode(line) {
            case .success(let record): state.apply(record.event)
            case .failure: break
            }
            if let json = try? JSONParser.parse(buffer: line), case .object(let o) = json,
               let type = o["type"]?.stringValue,
               let time = o["time"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) {
                state.apply(Event(time: time, type: type, actor: o["actor"]?.stringValue ?? "fuzz", data: o["data"] ?? .object([:])))
            }
            start = end + 1
        }
        _ = state.nextDeadline()
    }

    /// Journal lines, each also sealed with a fresh hash so that the bytes reach the parsers: verify's reading
    /// (`RecordLine.link`) must find exactly what the full reading (`RecordLine.decode`) finds, line for line.
    /// A disagreement traps, which is the finding.
    public static func line(_ bytes: UnsafeRawBufferPointer) {
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            // The line as it is, and its part before any `,"hash":"` sealed again.
            let suffix = RecordLine.hashSuffixLength
            let prefix = line.count > suffix && line[line.count - suffix] == UInt8(ascii: ",") ? line.prefix(line.count - suffix) : line[...]
            compareReadings(line)
            RecordLine.sealing(prefix).withUnsafeBytes { compareReadings($0) }
            start = end + 1
        }
    }

    /// Traps, naming the difference, unless both readings of `line` find the same.
    static func compareReadings(_ line: UnsafeRawBufferPointer) {
        if let difference = readingsDiffer(line) { preconditionFailure(difference) }
    }

    /// How verify's reading of `line` differs from the full reading, or nil when they find the same.
    public static func readingsDiffer(_ line: UnsafeRawBufferPointer) -> String? {
        switch (RecordLine.decode(line), RecordLine.link(line)) {
        case (.success(let record), .success(let link)):
            if record.seq != link.seq || record.prev != link.prev || record.hash != link.hash {
                return "link reads seq \(link.seq), the full reading \(record.seq)"
            }
            if (record.type == checkpointRecordType) != (link.checkpoint != nil) { return "a checkpoint read as a plain link or the reverse" }
            if let checkpoint = link.checkpoint, checkpoint != record { return "the checkpoint's record differs" }
            return nil
        case (.failure(let a), .failure(let b)):
            return a == b ? nil : "the full reading says \(a), link says \(b)"
        case (.success, .failure(let b)):
            return "link refuses a line the full reading accepts: \(b)"
        case (.failure(let a), .success):
            return "link accepts a line the full reading refuses: \(a)"
        }
    }

    static let roster = RosterParser.parse(sampleRoster, file: "roster.yaml").0

    /// The roles the shipped playbooks give steps to, so a fuzzed playbook is checked as deeply as a real one.
    static let sampleRoster = """
        people:
          - { id: amira, name: Amira, unix_user: amira, contacts: [{ email: amira@example.org }] }
          - { id: ben, name: Ben, contacts: [{ email: ben@example.org }] }
          - { id: dana, name: Dana, contacts: [{ email: dana@example.org }] }
        managers: [dana]
        roles:
          - { id: comms-on-call, title: Comms on-call, members: [amira, ben], backup: comms-lead, manager: dana }
          - { id: comms-lead, title: Comms lead, members: [ben], manager: dana }
          - { id: legal, title: Legal, members: [dana] }
          - { id: security, title: Security, members: [ben] }
          - { id: hr-partner, title: HR partner, members: [dana] }
          - { id: executive-sponsor, title: Executive sponsor, members: [dana] }
          - { id: privacy-officer, title: Privacy officer, members: [ben] }
          - { id: social-media-manager, title: Social media manager, members: [amira] }
        """
}
