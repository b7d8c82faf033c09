@testable import FirebreakCore
import Testing
@testable import FirebreakTestSupport

@Suite struct RosterTests {
    let roster = shipped.roster!

    @Test func theShippedRosterHasNoProblems() {
        #expect(shipped.diagnostics.filter { $0.file.hasSuffix("roster.example.yaml") }.isEmpty, "\(shipped.diagnostics)")
    }

    @Test func aWeeklyRotationHandsOverOnMondayAtNineLocalTime() {
        // Rotation starts Monday 2026-01-05 09:00 London with amira, then ben, then chloe, weekly.
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-01-05T08:59:59Z")) == "amira")  // before the first hand-over
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-01-05T09:00:00Z")) == "amira")
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-01-12T08:59:00Z")) == "amira")
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-01-12T09:00:00Z")) == "ben")
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-01-19T09:00:00Z")) == "chloe")
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-01-26T09:00:00Z")) == "amira")
    }

    @Test func handOversKeepTheirWallClockTimeAcrossDaylightSaving() {
        // Summer time in London: 09:00 local is 08:00 UTC. Week 12 after 2026-01-05 is 2026-03-30 (BST began 29 March).
        let before = roster.holder(of: "comms-on-call", at: ts("2026-03-30T07:59:00Z"))
        let after = roster.holder(of: "comms-on-call", at: ts("2026-03-30T08:00:00Z"))
        #expect(before != after)
        #expect(after == ["amira", "ben", "chloe"][12 % 3])
    }

    @Test func theHandOverTableAgreesWithCalendarArithmetic() throws {
        var rng = SplitMix(seed: 7)
        for role in ["comms-on-call", "social-media-manager", "security"] {
            let rotation = try #require(roster.roles[role]?.rotation)
            for _ in 0..<2_000 {
                let t = Timestamp(millisecondsSinceEpoch: Int64.random(in: 1_767_000_000_000...2_050_000_000_000, using: &rng))
                #expect(Roster.handovers(rotation, before: t) == Roster.handoversByCalendar(rotation, before: t), "\(role) at \(t)")
            }
        }
    }

    @Test func aDailyRotationHandsOverEveryMorning() {
        #expect(roster.holder(of: "social-media-manager", at: ts("2026-11-23T07:59:00Z")) != roster.holder(of: "social-media-manager", at: ts("2026-11-23T08:00:00Z")))
        #expect(roster.holder(of: "social-media-manager", at: ts("2026-11-23T08:00:00Z")) == roster.holder(of: "social-media-manager", at: ts("2026-11-25T08:00:00Z")))
    }

    @Test func aDatedOverrideWinsWhileItLasts() {
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-12-24T09:00:00Z")) == "chloe")
        #expect(roster.holder(of: "comms-on-call", at: ts("2026-12-27T23:00:00Z")) == "chloe")
        let afterCover = roster.holder(of: "comms-on-call", at: ts("2026-12-28T09:00:00Z"))
        #expect(afterCover == ["amira", "ben", "chloe"][51 % 3])
    }

    @Test func backupsAndManagersResolveToPeople() {
        let t = ts("2026-11-23T10:00:00Z")
        #expect(roster.backup(of: "comms-on-call", at: t) == "dana")  // comms-lead's holder
        #expect(roster.manager(of: "comms-on-call") == "dana")
        #expect(roster.backup(of: "privacy-officer", at: t) == "gus")
        #expect(roster.access(of: "jo") == .manager)
        #expect(roster.access(of: "amira") == .responder)
        #expect(roster.access(of: "nobody") == .reporter)
        #expect(roster.person(unixUser: "hana")?.id == "hana")
    }

    @Test(arguments: [
        ("people: []\nroles:\n  - id: a\n    members: [zed]\n", "2:0", "member \"zed\" is not a person"),
        ("people:\n  - id: p\n    name: P\nroles:\n  - id: a\n    members: [p]\n    rotation: {every: fortnightly, handover: \"09:00\", timezone: UTC, start: 2026-01-01}\n", "", "every must be daily or weekly"),
        ("people:\n  - id: p\n    name: P\nroles:\n  - id: a\n    members: [p]\n    rotation: {every: daily, handover: \"25:00\", timezone: UTC, start: 2026-01-01}\n", "", "must be a time of day"),
        ("people:\n  - id: p\n    name: P\nroles:\n  - id: a\n    members: [p]\n    rotation: {every: daily, handover: \"09:00\", timezone: Mars/Olympus, start: 2026-01-01}\n", "", "is not a time zone"),
        ("people:\n  - id: p\n    name: P\nroles:\n  - id: a\n    members: [p]\n    backup: nobody\n", "", "is neither a role nor a person"),
        ("people:\n  - id: p\n    name: P\n    unix_user: u\n  - id: q\n    name: Q\n    unix_user: u\nroles: []\n", "", "unix user \"u\" is already p's"),
        ("people:\n  - id: p\n    name: P\nroles:\n  - id: a\n    members: [p]\noverrides:\n  - {role: a, person: p, from: 2026-12-02T00:00:00Z, until: 2026-12-01T00:00:00Z}\n", "", "ends before it starts"),
        ("peeple: []\n", "1:1", "unknown key \"peeple\""),
    ])
    func brokenRostersAreRefusedWithTheReason(_ yaml: String, _ place: String, _ message: String) {
        let (roster, diagnostics) = RosterParser.parse(yaml, file: "roster.yaml")
        #expect(roster == nil)
        let errors = diagnostics.filter { $0.level == .error }
        #expect(errors.contains { $0.message.contains(message) }, "\(errors)")
    }
}
