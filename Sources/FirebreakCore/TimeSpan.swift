/// A length of time in whole milliseconds, written in playbooks as `30s`, `15m`, `2h`, `3d`, `1h30m` or ISO 8601
/// (`PT15M`, `P3D`, `P1DT2H`).
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func seconds(_ s: Int64) -> TimeSpan { TimeSpan(milliseconds: s * 1000) }
    public static func minutes(_ m: Int64) -> TimeSpan { TimeSpan(milliseconds: m * 60_000) }
    public static func hours(_ h: Int64) -> TimeSpan { TimeSpan(milliseconds: h * 3_600_000) }
    public static func days(_ d: Int64) -> TimeSpan { TimeSpan(milliseconds: d * 86_400_000) }
    public static let zero = TimeSpan(milliseconds: 0)

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.milliseconds < b.milliseconds }

    /// The shortest plain form: `1d2h`, `15m`, `30s`, `250ms`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds
        var out = rest < 0 ? "-" : ""
        rest = abs(rest)
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        if rest > 0 { out += "\(rest)ms" }
        return out
    }

    /// Parses `90s`, `15m`, `2h`, `3d`, `1w`, compounds such as `1h30m`, and ISO 8601 durations (`PT15M`, `P1DT2H`).
    /// Returns nil for anything else, including an empty string, negative values and months or years (whose
    /// length depends on the calendar).
    public init?(parsing text: String) {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        if s.first == "P" || s.first == "p" {
            guard let v = TimeSpan.parseISO(s.uppercased()) else { return nil }
            self.init(milliseconds: v)
            return
        }
        var total: Int64 = 0
        var number: Int64?
        var chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let d = c.wholeNumberValue, c.isASCII {
                number = (number ?? 0) * 10 + Int64(d)
                guard number! < 1_000_000_000 else { return nil }
                i += 1
                continue
            }
            guard let n = number else { return nil }
            var unit = String(c)
            if c == "m", i + 1 < chars.count, chars[i + 1] == "s" { unit = "ms"; i += 1 }
            let scale: Int64
            switch unit {
            case "ms": scale = 1
            case "s": scale = 1000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            case "d": scale = 86_400_000
            case "w": scale = 7 * 86_400_000
            default: return nil
            }
            // Many terms can still add up past Int64 ("999999999w999999999w…"): refuse, never trap.
            let (sum, overflow) = total.addingReportingOverflow(n * scale)
            guard !overflow else { return nil }
            total = sum
            number = nil
            i += 1
        }
        guard number == nil else { return nil }  // a bare number has no unit: refuse rather than guess
        chars.removeAll()
        self.init(milliseconds: total)
    }

    private static func parseISO(_ s: String) -> Int64? {
        var total: Int64 = 0
        var inTime = false
        var number = ""
        var sawAny = false
        for c in s.dropFirst() {
            if c == "T" { inTime = true; continue }
            if c.isNumber || c == "." { number.append(c); continue }
            guard let n = Double(number), n < 1_000_000_000 else { return nil }
            number = ""
            sawAny = true
            switch (c, inTime) {
            case ("W", false): total += Int64(n * 7 * 86_400_000)
            case ("D", false): total += Int64(n * 86_400_000)
            case ("H", true): total += Int64(n * 3_600_000)
            case ("M", true): total += Int64(n * 60_000)
            case ("S", true): total += Int64((n * 1000).rounded())
            default: return nil  // years and months are not fixed lengths
            }
        }
        return sawAny && number.isEmpty && abs(total) < Int64(1) << 62 ? total : nil
    }
}

extension Timestamp {
    public static func + (t: Timestamp, span: TimeSpan) -> Timestamp { t.adding(milliseconds: span.milliseconds) }
    public static func - (t: Timestamp, span: TimeSpan) -> Timestamp {
        span.milliseconds == .min ? Timestamp(millisecondsSinceEpoch: .max) : t.adding(milliseconds: -span.milliseconds)
    }
    /// Saturates, as `adding` does.
    public static func - (a: Timestamp, b: Timestamp) -> TimeSpan {
        let (d, overflow) = a.millisecondsSinceEpoch.subtractingReportingOverflow(b.millisecondsSinceEpoch)
        return TimeSpan(milliseconds: overflow ? (a > b ? .max : .min) : d)
    }
}

extension TimeSpan {
    /// For people, whichever way it points: "45 s", "14 min", "2 h 5 min", "3 d 4 h".
    public var words: String {
        let s = abs(milliseconds) / 1000
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min" }
        if s < 86_400 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86_400) d \(s % 86_400 / 3600) h"
    }
}

extension Timestamp {
    /// "in 14 min" or "2 h 5 min ago", seen from `now`.
    public func relative(to now: Timestamp) -> String {
        let span = self - now
        return span.milliseconds >= 0 ? "in \(span.words)" : "\(span.words) ago"
    }
}
