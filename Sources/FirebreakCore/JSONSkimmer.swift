#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows that bytes hold JSON `JSONParser` would accept, and builds no values.
///
/// `firebreak journal verify` reads millions of lines. For every line but a checkpoint it needs to know only
/// that the line is well formed, not what it says. Building the values was nearly all of verify's time.
///
/// The skimmer knows a subset of JSON: the one the journal's writer produces. Whitespace, the simple escapes,
/// `\u` escapes, integers and decimals are in it, and UTF-8 is checked the way the parser checks it. For
/// anything outside the subset it answers "not sure" (`nil`): exponents, non-ASCII or escaped member names
/// (Swift compares `String` keys by canonical equivalence, not bytes), escapes mixed with non-ASCII text,
/// objects past `keySlots` open member names. It never answers "invalid". The caller then runs the parser,
/// so every error a person sees is the parser's own, word for word, and what is accepted is exactly what
/// the parser accepts.
public enum JSONSkimmer {
    /// Member names held at once, over all open objects, to find duplicates. Past this: not sure.
    public static let keySlots = 256

    /// The index just past the object that starts at `from` (a `{`), when sure the parser accepts it at
    /// nesting `depth` (the parser's root object is depth 1).
    public static func skipObject(_ bytes: UnsafeRawBufferPointer, from: Int, depth: Int) -> Int? {
        guard from < bytes.count, bytes[from] == UInt8(ascii: "{") else { return nil }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: keySlots * 2) { keys in
            var skim = Skim(bytes: bytes, keys: keys, index: from)
            return skim.object(depth: depth) ? skim.index : nil
        }
    }

    private struct Skim {
        let bytes: UnsafeRawBufferPointer
        /// Start and end offsets of the member names of every open object, innermost last.
        let keys: UnsafeMutableBufferPointer<Int>
        var index: Int
        var keyCount = 0

        init(bytes: UnsafeRawBufferPointer, keys: UnsafeMutableBufferPointer<Int>, index: Int) {
            self.bytes = bytes
            self.keys = keys
            self.index = index
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// Depth as the parser counts it: a container one level deeper than the value's parent.
        mutating func value(depth: Int) -> Bool {
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string(isKey: false)
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
            default: return false
            }
        }

        mutating func object(depth: Int) -> Bool {
            guard depth <= JSONParser.defaultMaxDepth else { return false }
            index += 1
            let first = keyCount
            defer { keyCount = first }
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return true
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return false }
                let start = index + 1
                guard string(isKey: true) else { return false }
                let end = index - 1
                guard isNew(start, end, since: first), keyCount < keySlots else { return false }
                keys[2 * keyCount] = start
                keys[2 * keyCount + 1] = end
                keyCount += 1
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
                index += 1
                skipWhitespace()
                guard value(depth: depth) else { return false }
                skipWhitespace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return true }
                return false
            }
        }

        /// Whether the name at `start..<end` differs from every name of the same object (those since `first`).
        func isNew(_ start: Int, _ end: Int, since first: Int) -> Bool {
            let length = end - start
            var k = first
            while k < keyCount {
                let s = keys[2 * k], e = keys[2 * k + 1]
                if e - s == length && memcmp(bytes.baseAddress! + s, bytes.baseAddress! + start, length) == 0 { return false }
                k += 1
            }
            return true
        }

        mutating func array(depth: Int) -> Bool {
            guard depth <= JSONParser.defaultMaxDepth else { return false }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return true
            }
            while true {
                skipWhitespace()
                guard value(depth: depth) else { return false }
                skipWhitespace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return true }
                return false
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for i in 0..<count where bytes[index + i] != word.utf8Start[i] { return false }
            index += count
            return true
        }

        /// Integers and decimals of at most 300 characters: the parser reads every one of them as a finite
        /// number. An exponent may overflow a Double, which the parser refuses: not sure.
        mutating func number() -> Bool {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { return false }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, isDigit(bytes[index]) { return false }
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { return false }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") { return false }
            return index - start <= 300
        }

        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

        /// A string the parser accepts. Member names: ASCII without escapes only. Values: escapes or
        /// non-ASCII (checked as the parser checks it, with `String(validating:)`), not both.
        mutating func string(isKey: Bool) -> Bool {
            index += 1
            let start = index
            var ascii = true
            var escaped = false
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    if ascii { return true }
                    if escaped { return false }
                    return String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) != nil
                }
                if b == UInt8(ascii: "\\") {
                    guard !isKey, index + 1 < bytes.count else { return false }
                    escaped = true
                    switch bytes[index + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 2
                    case UInt8(ascii: "u"):
                        guard unicodeEscape() else { return false }
                    default:
                        return false
                    }
                    continue
                }
                if b < 0x20 { return false }
                if b >= 0x80 {
                    if isKey { return false }
                    ascii = false
                }
                index += 1
            }
            return false
        }

        /// `\uXXXX` at `index`: a scalar that is not a surrogate, or a high surrogate with its low one after.
        mutating func unicodeEscape() -> Bool {
            guard let scalar = hex4(at: index + 2) else { return false }
            index += 6
            if (0xDC00..<0xE000).contains(scalar) { return false }
            guard (0xD800..<0xDC00).contains(scalar) else { return true }
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                  let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low)
            else { return false }
            index += 6
            return true
        }

        func hex4(at offset: Int) -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for i in offset..<(offset + 4) {
                let c = bytes[i]
                switch c {
                case 48...57: v = v << 4 | UInt32(c - 48)
                case 65...70: v = v << 4 | UInt32(c - 55)
                case 97...102: v = v << 4 | UInt32(c - 87)
                default: return nil
                }
            }
            return v
        }
    }
}
