import FirebreakCore
import FirebreakJournal
import Foundation

/// Where each incident's records stand in the journal, kept as the journal grows (the desk adds what it writes;
/// the start-up replay adds what it reads; a snapshot carries it), so the review of an incident reads its own
/// lines and nothing else.
///
/// The records indexed are exactly those a full scan takes (`IncidentRecords.scan`): from the incident's
/// `incident.opened` record on, every record whose `data.incident` names it. The signed checkpoints are indexed
/// too, to find the one that seals an incident's last record.
///
/// Cost: a `RecordPlace` (12 bytes) per record about an incident and per checkpoint, plus one array per incident.
public struct IncidentIndex: Sendable, Equatable {
    /// The seq of each incident's opening record.
    public private(set) var openedSeq: [String: UInt64] = [:]
    /// Each incident's records, in journal order.
    public private(set) var places: [String: [RecordPlace]] = [:]
    /// Every signed checkpoint, in journal order.
    public private(set) var checkpoints: [RecordPlace] = []
    /// What people wrote about each incident, lowercased, for `firebreak incidents --text`: the post's address,
    /// its reports' post texts, notes and authors, the responders' notes and the resolution's summary (the state keeps none of
    /// them). Bytes, searched with memchr and memcmp: a hundred thousand incidents' text is scanned in a few milliseconds.
    public private(set) var text: [String: [UInt8]] = [:]
    /// Each reporter's own words about an incident (their reports' texts and notes), which they may search
    /// without seeing what anyone else wrote.
    public private(set) var reporterText: [String: [String: [UInt8]]] = [:]

    public init() {}

    public init(openedSeq: [String: UInt64], places: [String: [RecordPlace]], checkpoints: [RecordPlace], text: [String: [UInt8]] = [:]) {
        self.openedSeq = openedSeq
        self.places = places
        self.checkpoints = checkpoints
        self.text = text
    }

    /// Takes one record, in journal order. A record without a place (not read from or written to a journal)
    /// changes nothing.
    public mutating func add(_ record: JournalRecord) {
        guard let place = record.place else { return }
        if record.type == checkpointRecordType {
            if checkpoints.last.map({ $0 < place }) ?? true { checkpoints.append(place) }
            return
        }
        if let id = record.openedIncident {
            openedSeq[id] = record.seq
            places[id] = [place]
            // The post's address first: a responder's search then needs this one text per incident.
            text[id] = record.data["url"]?.stringValue.map { Array($0.lowercased().utf8) }
        } else if let id = record.data["incident"]?.stringValue, places[id] != nil {
            places[id]!.append(place)
            let written: [String]
            switch record.type {
            case EventType.reportReceived: written = ["text", "note", "author"]
            case EventType.note: written = ["text"]
            case EventType.incidentResolved: written = ["summary"]
            default: return
            }
            let reporter = record.type == EventType.reportReceived ? record.data["reporter"]?.stringValue ?? record.actor : nil
            for key in written {
                guard let t = record.data[key]?.stringValue, !t.isEmpty else { continue }
                let lowered = t.lowercased().utf8
                if text[id] != nil { text[id]!.append(0x0A) } else { text[id] = [] }
                text[id]!.append(contentsOf: lowered)
                if let reporter, key != "author" {
                    reporterText[id, default: [:]][reporter, default: []].append(contentsOf: lowered)
                    reporterText[id]![reporter]!.append(0x0A)
                }
            }
        }
    }

    /// Whether `needle` (lowercased bytes) is in what `reporter` wrote in their own reports of `id`.
    public func reported(about id: String, by reporter: String, contains needle: [UInt8]) -> Bool {
        guard let hay = reporterText[id]?[reporter] else { return false }
        return bytes(hay, contain: needle)
    }


    /// The first checkpoint after `place`: the one that seals it (and everything before it).
    public func checkpoint(after place: RecordPlace) -> RecordPlace? {
        var low = 0, high = checkpoints.count
        while low < high {
            let mid = (low + high) / 2
            if checkpoints[mid] < place || checkpoints[mid] == place { low = mid + 1 } else { high = mid }
        }
        return low < checkpoints.count ? checkpoints[low] : nil
    }

    /// What the index holds in memory, from its arrays' capacities and its maps' entries (ids of up to 15
    /// bytes, like `INC-123456`, are stored inline in Swift's strings): the figure docs/benchmarks.md gives.
    public var approximateBytes: Int {
        let arrayHeader = 32, mapEntry = 24  // a String key and a pointer or UInt64, at the maps' ~75% load
        var total = checkpoints.capacity * 12 + arrayHeader
        for p in places.values { total += p.capacity * 12 + arrayHeader }
        for t in text.values { total += t.capacity + arrayHeader }
        for m in reporterText.values { for t in m.values { total += t.capacity + arrayHeader + mapEntry * 4 / 3 } }
        total += (openedSeq.count + places.count + text.count + reporterText.count) * mapEntry * 4 / 3
        return total
    }

    /// Records indexed, checkpoints included.
    public var count: Int { places.values.reduce(checkpoints.count) { $0 + $1.count } }
}

/// The index in a snapshot: each incident's places as base64 of little-endian (segment, offset, length)
/// triples, so a million records cost 16 MB of text and a fast decode, not a million JSON arrays.
extension IncidentIndex {
    public var json: JSONValue {
        .object([
            "opened_seq": .object(openedSeq.mapValues { .int(Int64($0)) }),
            "places": .object(places.mapValues { .string(Self.pack($0)) }),
            "checkpoints": .string(Self.pack(checkpoints)),
            "text": .object(text.mapValues { .string(String(decoding: $0, as: UTF8.self)) }),
            "reporter_text": .object(reporterText.mapValues { .object($0.mapValues { .string(String(decoding: $0, as: UTF8.self)) }) }),
        ])
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }

    public init(json: JSONValue) throws(Unreadable) {
        var opened: [String: UInt64] = [:]
        for (id, s) in json["opened_seq"]?.objectValue ?? [:] {
            guard let n = s.intValue, n > 0 else { throw Unreadable(description: "the opening seq of \(id) is not a positive number") }
            opened[id] = UInt64(n)
        }
        var places: [String: [RecordPlace]] = [:]
        guard let packed = json["places"]?.objectValue, let checkpoints = json["checkpoints"]?.stringValue else {
            throw Unreadable(description: "the incident index is missing")
        }
        for (id, text) in packed {
            guard let s = text.stringValue, let p = Self.unpack(s), !p.isEmpty, opened[id] != nil else {
                throw Unreadable(description: "the index of \(id) is not readable")
            }
            places[id] = p
        }
        guard places.count == opened.count, let c = Self.unpack(checkpoints) else {
            throw Unreadable(description: "the incident index does not cover every incident")
        }
        var text: [String: [UInt8]] = [:]
        for (id, t) in json["text"]?.objectValue ?? [:] {
            guard let s = t.stringValue, places[id] != nil else { throw Unreadable(description: "the text of \(id) is not readable") }
            text[id] = Array(s.utf8)
        }
        var reporterText: [String: [String: [UInt8]]] = [:]
        for (id, byReporter) in json["reporter_text"]?.objectValue ?? [:] {
            guard places[id] != nil, let m = byReporter.objectValue else { throw Unreadable(description: "the reporters' text of \(id) is not readable") }
            for (who, t) in m {
                guard let s = t.stringValue else { throw Unreadable(description: "the reporters' text of \(id) is not readable") }
                reporterText[id, default: [:]][who] = Array(s.utf8)
            }
        }
        self.init(openedSeq: opened, places: places, checkpoints: c, text: text)
        self.reporterText = reporterText
    }

    static func pack(_ places: [RecordPlace]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(places.count * 12)
        for p in places {
            for v in [p.segment, p.offset, p.length] {
                withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        return Data(bytes).base64EncodedString()
    }

    static func unpack(_ text: String) -> [RecordPlace]? {
        guard let data = Data(base64Encoded: text), data.count % 12 == 0 else { return nil }
        return data.withUnsafeBytes { raw -> [RecordPlace]? in
            var out: [RecordPlace] = []
            out.reserveCapacity(data.count / 12)
            var i = 0
            while i < raw.count {
                let s = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                let o = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                let l = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self))
                guard let p = RecordPlace(segment: Int(s), offset: Int(o), length: Int(l)) else { return nil }
                out.append(p)
                i += 12
            }
            return out
        }
    }
}
