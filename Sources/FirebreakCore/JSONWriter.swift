/// Writes JSON as bytes: compact, keys sorted, only the escapes RFC 8259 requires.
///
/// Deterministic output matters more here than anywhere else: a journal line's hash covers its bytes, and an
/// auditor re-deriving them must never depend on a library's formatting choices.
public enum JSONWriter {
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite {
                // Swift's shortest round-trip form ("5.0", "1e+20") is valid JSON and reads back as a double.
                out.append(contentsOf: d.description.utf8)
            } else {
                out.append(contentsOf: "null".utf8)  // JSON has no NaN or infinity
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members): write(members, into: &out, written: nil)
        }
    }

    /// An object, with the member `written.key` copied from `written.bytes` (which must be what `write` makes of
    /// it; debug builds check) rather than written again.
    public static func write(_ members: [String: JSONValue], into out: inout [UInt8], written: (key: String, bytes: [UInt8])?) {
        out.append(UInt8(ascii: "{"))
        var first = true
        // The members' positions sorted by key, then each member read at its position: looking keys up
        // again hashed every key twice, and sorting (key, value) pairs copied every value to compare keys.
        let keys = members.keys
        var order = Array(keys.indices)
        order.sort { keys[$0].utf8.lexicographicallyPrecedes(keys[$1].utf8) }
        for i in order {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeString(keys[i], into: &out)
            out.append(UInt8(ascii: ":"))
            if let written, keys[i] == written.key {
                assert({ var check: [UInt8] = []; write(members.values[i], into: &check); return check == written.bytes }(),
                       "the member \(written.key) was written otherwise than given")
                out.append(contentsOf: written.bytes)
            } else {
                write(members.values[i], into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied in one go from the string's own UTF-8 storage.
        let copied: Bool? = s.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
