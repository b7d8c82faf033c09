import FirebreakCore
import Testing

@Suite struct TimestampTests {
    @Test func formatsKnownInstantsInRFC3339() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_795_336_200_123).rfc3339 == "2026-11-22T08:30:00.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: 951_782_400_000).rfc3339 == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
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
