import FirebreakCore

/// A record as `firebreak journal verify` needs it: its place in the hash chain. A checkpoint comes whole
/// (its signature is checked); for every other line verify needs only to know that the full reader would
/// accept it, so no values are built.
public struct RecordLink: Sendable {
    public var seq: UInt64
    public var prev: String
    public var hash: String
    public var place: RecordPlace?
    /// The whole record, when the line is a checkpoint.
    public var checkpoint: JournalRecord?

    init(_ record: JournalRecord) {
        seq = record.seq
        prev = record.prev
        hash = record.hash
        place = record.place
        checkpoint = record.type == checkpointRecordType ? record : nil
    }

    init(seq: UInt64, prev: String, hash: String) {
        self.seq = seq
        self.prev = prev
        self.hash = hash
    }
}

extension RecordLine {
    /// Reads one line (without its `\n`) as a link, with exactly the findings of `decode`: the same lines
    /// accepted, the same flaw for each line refused.
    ///
    /// The hash is checked as in `decode`. Then a line in the writer's own layout, with no member the skimmer
    /// is unsure of, is checked without building values. Checkpoints and every other line are parsed whole.
    public static func link(_ line: UnsafeRawBufferPointer) -> Result<RecordLink, Flaw> {
        switch checkHash(line) {
        case .failure(let flaw):
            return .failure(flaw)
        case .success(let stored):
            if let link = skim(line, hash: stored) { return .success(link) }
            return parse(line, hash: stored).map(RecordLink.init)
        }
    }

    /// The writer's layout, `{"seq":N,"time":"…","type":"…","actor":"…","data":{…},"prev":"…"` then the hash
    /// suffix, with every member as the full parse would accept it; nil for anything else, and for checkpoints.
    static func skim(_ line: UnsafeRawBufferPointer, hash: String) -> RecordLink? {
        let end = line.count - hashSuffixLength
        var i = 0
        func expect(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard i + count <= end else { return false }
            for k in 0..<count where line[i + k] != text.utf8Start[k] { return false }
            i += count
            return true
        }
        /// A string of printable ASCII without escapes, up to its closing quote (left at `i`).
        func plain() -> Range<Int>? {
            let start = i
            while i < end {
                let c = line[i]
                if c == UInt8(ascii: "\"") { return start..<i }
                guard c >= 0x20, c < 0x80, c != UInt8(ascii: "\\") else { return nil }
                i += 1
            }
            return nil
        }
        guard expect(#"{"seq":"#), i < end, line[i] >= UInt8(ascii: "1"), line[i] <= UInt8(ascii: "9") else { return nil }
        var seq: UInt64 = 0
        let digits = i
        while i < end, line[i] >= 48, line[i] <= 57 {
            seq = seq &* 10 &+ UInt64(line[i] - 48)
            i += 1
        }
        guard i - digits <= 18, expect(#","time":""#), let time = plain(),
              Timestamp(rfc3339Bytes: UnsafeRawBufferPointer(rebasing: line[time])) != nil,
              expect(#"","type":""#), let type = plain(), !type.isEmpty,
              expect(#"","actor":""#), plain() != nil,
              expect(#"","data":"#), let afterData = JSONSkimmer.skipObject(line, from: i, depth: 2)
        else { return nil }
        i = afterData
        guard expect(#","prev":""#), i + 65 == end, line[end - 1] == UInt8(ascii: "\"") else { return nil }
        for k in i..<(i + 64) {
            let c = line[k]
            guard (c >= 48 && c <= 57) || (c >= 97 && c <= 102) else { return nil }
        }
        let isCheckpoint = type.count == checkpointTypeBytes.count
            && zip(type, checkpointTypeBytes).allSatisfy { line[$0] == $1 }
        guard !isCheckpoint else { return nil }
        let prev = String(decoding: UnsafeRawBufferPointer(rebasing: line[i..<(i + 64)]), as: UTF8.self)
        return RecordLink(seq: seq, prev: prev, hash: hash)
    }

    private static let checkpointTypeBytes = Array(checkpointRecordType.utf8)
}
