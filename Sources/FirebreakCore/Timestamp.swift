/// An instant as whole milliseconds since the Unix epoch, UTC.
///
/// The core never reads a clock: every function that needs "now" takes a `Timestamp`, which is what makes
/// deadlines and escalation testable to the millisecond. Milliseconds are what the journal writes
/// (RFC 3339 with three fraction digits), so a value survives a round trip through the journal unchanged.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// Saturates at the ends of time rather than trapping: a deadline past the year 292 million is "never",
    /// and a record or snapshot holding absurd times (found by the journal fuzzer) must not stop a replay.
    public func adding(milliseconds: Int64) -> Timestamp {
        let (sum, overflow) = millisecondsSinceEpoch.addingReportingOverflow(milliseconds)
        return Timestamp(millisecondsSinceEpoch: overflow ? (milliseconds > 0 ? .max : .min) : sum)
    }

    public var description: String { rfc3339 }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`: fixed width, so lines sort and compare as text.
    /// For people: to the minute, in UTC, saying so ("2026-12-06 19:12 UTC"). Records keep `rfc3339`.
    public var readable: String {
        let r = rfc3339
        return String(r.prefix(10)) + " " + String(r.dropFirst(11).prefix(5)) + " UTC"
    }

    public var rfc3339: String {
        var ms = millisecondsSinceEpoch
        var days = ms / 86_400_000
        ms -= days * 86_400_000
        if ms < 0 { ms += 86_400_000; days -= 1 }
        let (y, m, d) = Timestamp.civil(fromDays: days)
        let secs = ms / 1000
        let frac = ms % 1000
        guard (0...9999).contains(y) else { return Timestamp.rfc3339(y, m, d, secs, frac) }
        // Every record's time and every due date is one of these: written as 24 bytes in place, the digits by
        // hand, one allocation in all (each `String(value)` and padding would be an allocation and a copy).
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ at: Int, _ value: Int64, _ width: Int) {
                var v = value
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    out[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
                    v /= 10
                }
            }
            put(0, y, 4); out[4] = UInt8(ascii: "-")
            put(5, m, 2); out[7] = UInt8(ascii: "-")
            put(8, d, 2); out[10] = UInt8(ascii: "T")
            put(11, secs / 3600, 2); out[13] = UInt8(ascii: ":")
            put(14, (secs / 60) % 60, 2); out[16] = UInt8(ascii: ":")
            put(17, secs % 60, 2); out[19] = UInt8(ascii: ".")
            put(20, frac, 3); out[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// The same for years a four-digit field cannot hold (saturated deadlines, fuzzed records).
    private static func rfc3339(_ y: Int64, _ m: Int64, _ d: Int64, _ secs: Int64, _ frac: Int64) -> String {
        var out = ""
        out.reserveCapacity(24)
        pad(&out, y, 4); out += "-"
        pad(&out, m, 2); out += "-"
        pad(&out, d, 2); out += "T"
        pad(&out, secs / 3600, 2); out += ":"
        pad(&out, (secs / 60) % 60, 2); out += ":"
        pad(&out, secs % 60, 2); out += "."
        pad(&out, frac, 3); out += "Z"
        return out
    }

    /// Parses RFC 3339 (`2026-11-22T08:30:00Z`, optional fraction, `Z` or a numeric offset).
    /// Fraction digits past the millisecond are dropped, not rounded, so parsing never moves an instant later.
    public init?(rfc3339 text: some StringProtocol) {
        let parsed = text.utf8.withContiguousStorageIfAvailable { Timestamp.parse($0) } ?? Timestamp.parse(Array(text.utf8))
        guard let parsed else { return nil }
        self = parsed
    }

    /// As `init?(rfc3339:)`, from the bytes of a journal line, making no string (verify reads millions).
    public init?(rfc3339Bytes bytes: UnsafeRawBufferPointer) {
        guard let parsed = Timestamp.parse(bytes) else { return nil }
        self = parsed
    }

    private static func parse<C: RandomAccessCollection<UInt8>>(_ b: C) -> Timestamp? where C.Index == Int {
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + count) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard b.count >= 20,
              let y = num(0, 4), b[4] == UInt8(ascii: "-"),
              let mo = num(5, 2), b[7] == UInt8(ascii: "-"),
              let d = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let h = num(11, 2), b[13] == UInt8(ascii: ":"),
              let mi = num(14, 2), b[16] == UInt8(ascii: ":"),
              let s = num(17, 2),
              (1...12).contains(mo), d >= 1, d <= Timestamp.daysIn(month: mo, year: y), h < 24, mi < 60, s < 61
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 3 { millis = millis * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        guard i < b.count else { return nil }
        var offsetMinutes: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
            guard let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2),
                  oh < 24, om < 60 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Timestamp.days(fromCivil: y, mo, d)
        let seconds = days * 86_400 + h * 3600 + mi * 60 + min(s, 59) - offsetMinutes * 60
        return Timestamp(millisecondsSinceEpoch: seconds * 1000 + millis)
    }

    private static func pad(_ out: inout String, _ value: Int64, _ width: Int) {
        let digits = String(value)
        if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
        out += digits
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days-from-civil and civil-from-days: exact for the proleptic Gregorian calendar.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
