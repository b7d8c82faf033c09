import Crypto
import FirebreakCore
import Foundation

/// The bytes of one journal line: how a record is written and how a line is read back and checked.
///
/// The envelope is written in a fixed member order with `hash` last, so that the hashed bytes are exactly the
/// line up to `,"hash":"` and an auditor needs nothing but SHA-256 and string slicing to check it.
public enum RecordLine {
    /// `,"hash":"` + 64 hex + `"}`: the fixed-width end of every line (before its `\n`).
    public static let hashSuffixLength = 9 + 64 + 2
    static let hashMarker: [UInt8] = Array(#","hash":""#.utf8)

    /// The part of a line that does not depend on the chain, encoded once by the appender, off the writer thread.
    public struct Body: Sendable {
        /// `,"time":"…","type":"…","actor":"…","data":{…}` — everything between seq and prev.
        let bytes: [UInt8]
        let entry: JournalEntry
    }

    static func body(for entry: JournalEntry) throws(JournalError) -> Body {
        guard !entry.type.isEmpty else { throw JournalError(.invalidEntry, "a journal record needs a type") }
        guard case .object(let members) = entry.data else {
            throw JournalError(.invalidEntry, "the data of a \(entry.type) record must be a JSON object")
        }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: #","time":""#.utf8)
        out.append(contentsOf: entry.time.rfc3339.utf8)
        out.append(contentsOf: #"","type":"#.utf8)
        JSONWriter.writeString(entry.type, into: &out)
        out.append(contentsOf: #","actor":"#.utf8)
        JSONWriter.writeString(entry.actor, into: &out)
        out.append(contentsOf: #","data":"#.utf8)
        JSONWriter.write(members, into: &out, written: entry.written)
        return Body(bytes: out, entry: entry)
    }

    /// Appends the full line for `body` at `seq` after `prev` to `out`, returning the record and its hash.
    static func append(_ body: Body, seq: UInt64, prev: String, into out: inout [UInt8]) -> JournalRecord {
        let start = out.count
        out.append(contentsOf: #"{"seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: body.bytes)
        out.append(contentsOf: #","prev":""#.utf8)
        out.append(contentsOf: prev.utf8)
        out.append(UInt8(ascii: "\""))
        let hash = seal(&out, from: start)
        out.append(0x0A)
        let e = body.entry
        return JournalRecord(seq: seq, time: e.time, type: e.type, actor: e.actor, data: e.data, prev: prev, hash: hash)
    }

    /// Encodes one record on its own (tests, docs, tools). The writer uses `append` to batch.
    public static func encode(_ entry: JournalEntry, seq: UInt64, prev: String) throws(JournalError) -> (line: [UInt8], record: JournalRecord) {
        var out: [UInt8] = []
        let record = append(try body(for: entry), seq: seq, prev: prev, into: &out)
        return (out, record)
    }

    /// `prefix` (a line up to and including its `"prev"` member) completed with its hash and `"}`, without the
    /// `\n`: how a line whose bytes were chosen by hand (a test, a fuzzer, a forger) is made to pass the hash check.
    public static func sealing(_ prefix: some Collection<UInt8>) -> [UInt8] {
        var line = Array(prefix)
        seal(&line, from: 0)
        return line
    }

    /// Hashes `out[start...]` (a line up to its `prev`) and appends `,"hash":"…"}`; returns the hash.
    @discardableResult
    private static func seal(_ out: inout [UInt8], from start: Int) -> String {
        let hash = out.withUnsafeBufferPointer { buf in
            hexDigest(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buf[start...])))
        }
        out.append(contentsOf: hashMarker)
        out.append(contentsOf: hash.utf8)
        out.append(contentsOf: "\"}".utf8)
        return hash
    }

    /// Why a line could not be read as a record.
    public enum Flaw: Error, Sendable, Equatable, CustomStringConvertible {
        case noHashMember
        case hashMismatch(stored: String, computed: String)
        case malformed(String)

        public var description: String {
            switch self {
            case .noHashMember: return #"the line does not end with a "hash" member of 64 lowercase hex digits"#
            case .hashMismatch(let stored, let computed):
                return "hash mismatch: the line says \(stored.prefix(16))… but its bytes hash to \(computed.prefix(16))…"
            case .malformed(let why): return why
            }
        }
    }

    /// Reads one line (without its `\n`). Checks the hash first: a line whose hash holds is what its writer
    /// wrote, so any later complaint about it is about the writer, not about damage.
    public static func decode(_ line: UnsafeRawBufferPointer) -> Result<JournalRecord, Flaw> {
        checkHash(line).flatMap { parse(line, hash: $0) }
    }

    /// The line's stored hash, when it ends with one that its bytes hash to.
    static func checkHash(_ line: UnsafeRawBufferPointer) -> Result<String, Flaw> {
        let n = line.count
        guard n > hashSuffixLength + 2,
              line[n - 1] == UInt8(ascii: "}"), line[n - 2] == UInt8(ascii: "\"")
        else { return .failure(.noHashMember) }
        let markerStart = n - hashSuffixLength
        for i in 0..<hashMarker.count where line[markerStart + i] != hashMarker[i] {
            return .failure(.noHashMember)
        }
        let hexStart = markerStart + hashMarker.count
        for i in hexStart..<(hexStart + 64) {
            let c = line[i]
            guard (c >= 48 && c <= 57) || (c >= 97 && c <= 102) else { return .failure(.noHashMember) }
        }
        let stored = String(decoding: UnsafeRawBufferPointer(rebasing: line[hexStart..<(hexStart + 64)]), as: UTF8.self)
        let digest = SHA256.hash(data: UnsafeRawBufferPointer(rebasing: line[0..<markerStart]))
        // Compare the digest with the stored hex digit by digit: no string built on the hot path.
        var matches = true
        digest.withUnsafeBytes { d in
            for i in 0..<32 where Hex.digits[Int(d[i] >> 4)] != line[hexStart + 2 * i] || Hex.digits[Int(d[i] & 0xF)] != line[hexStart + 2 * i + 1] {
                matches = false
                break
            }
        }
        guard matches else { return .failure(.hashMismatch(stored: stored, computed: Hex.lowercase(digest))) }
        return .success(stored)
    }

    /// The record on a line whose hash holds: the whole line parsed, every envelope member checked.
    static func parse(_ line: UnsafeRawBufferPointer, hash stored: String) -> Result<JournalRecord, Flaw> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(buffer: line)
        } catch {
            return .failure(.malformed("not valid JSON: \(error)"))
        }
        guard case .object(let m) = value else { return .failure(.malformed("the line is not a JSON object")) }
        guard let seqValue = m["seq"]?.intValue, seqValue >= 1 else {
            return .failure(.malformed(#""seq" is missing or not a positive integer"#))
        }
        guard let timeText = m["time"]?.stringValue, let time = Timestamp(rfc3339: timeText) else {
            return .failure(.malformed(#""time" is missing or not an RFC 3339 time"#))
        }
        guard let type = m["type"]?.stringValue, !type.isEmpty else {
            return .failure(.malformed(#""type" is missing or empty"#))
        }
        guard let actor = m["actor"]?.stringValue else { return .failure(.malformed(#""actor" is missing"#)) }
        guard let data = m["data"], case .object = data else {
            return .failure(.malformed(#""data" is missing or not an object"#))
        }
        guard let prev = m["prev"]?.stringValue, isHex64(prev) else {
            return .failure(.malformed(#""prev" is missing or not 64 lowercase hex digits"#))
        }
        return .success(JournalRecord(seq: UInt64(seqValue), time: time, type: type, actor: actor, data: data, prev: prev, hash: stored))
    }

    static func isHex64(_ s: String) -> Bool {
        func check(_ u: some Collection<UInt8>) -> Bool {
            u.count == 64 && u.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        }
        return s.utf8.withContiguousStorageIfAvailable { check($0) } ?? check(Array(s.utf8))
    }

    static func hexDigest(_ bytes: UnsafeRawBufferPointer) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }
}
