import FirebreakCore
import Foundation
import Testing
@testable import FirebreakTestSupport

@Suite struct TimestampTests {
    @Test func formatsKnownInstantsInRFC3339() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_336_200_123).rfc3339 == "2026-11-22T08:30:00.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: 951_782_400_000).rfc3339 == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }

    /// The four-digit years are written digit by digit in place, others the long way: both agree with
    /// Foundation's calendar and formatting, across the edges of the fast path (year 0 written out: Foundation's
    /// calendar is Julian before 1582).
    @Test func formatsLikeFoundationInsideAndOutsideFourDigitYears() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let edges: [Int64] = [253_402_300_799_999, 253_402_300_800_000, 0, -1]
        var instants = edges
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            // From 1600: Foundation's Gregorian calendar is Julian before 1582, the journal's proleptic.
            instants.append(-11_676_096_000_000 + Int64(x % (253_402_300_800_000 + 11_676_096_000_000)))
        }
        for ms in instants {
            let date = Date(timeIntervalSince1970: Double(ms.dividedRoundingDown(by: 1000)))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let frac = ((ms % 1000) + 1000) % 1000
            let year = c.era == 0 ? 1 - c.year! : c.year!
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, c.month!, c.day!, c.hour!, c.minute!, c.second!, Int(frac))
            #expect(Timestamp(millisecondsSinceEpoch: ms).rfc3339 == expected, "\(ms)")
        }
        #expect(Timestamp(millisecondsSinceEpoch: 253_402_300_800_000).rfc3339 == "10000-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 253_402_300_799_999).rfc3339 == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSinceEpoch: -62_167_219_200_000).rfc3339 == "0000-01-01T00:00:00.000Z")
    }

    @Test func parsesWhatItFormatsForEveryDayOfSeveralYears() {
        var ms: Int64 = Timestamp(rfc3339: "2023-01-01T00:00:00Z")!.millisecondsSinceEpoch
        for _ in 0..<(4 * 366) {
            let t = Timestamp(millisecondsSinceEpoch: ms)
            #expect(Timestamp(rfc3339: t.rfc3339) == t)
            ms += 86_400_000 + 3_723_456
        }
    }

    @Test func parsesOffsetsAndFractions() {
        let utc = Timestamp(rfc3339: "2026-11-22T08:30:00Z")!
        #expect(Timestamp(rfc3339: "2026-11-22T09:30:00+01:00") == utc)
        #expect(Timestamp(rfc3339: "2026-11-22T03:00:00-05:30") == utc)
        #expect(Timestamp(rfc3339: "2026-11-22T08:30:00.5Z") == utc.adding(milliseconds: 500))
        #expect(Timestamp(rfc3339: "2026-11-22T08:30:00.123999Z") == utc.adding(milliseconds: 123))
    }

    @Test(arguments: ["", "2026-11-22", "2026-11-22T08:30:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                      "2026-11-22T24:00:00Z", "2026-11-22T08:30:00.Z", "2026-11-22T08:30:00Zjunk", "2026-11-22T08:30:00+1:00"])
    func rejectsMalformedTimes(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}

private extension Int64 {
    func dividedRoundingDown(by d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
}
