import ArgumentParser
import FirebreakCore
import FirebreakProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak oncall [ROLE]`: who holds each role now, until when, and who is next; overrides made with
/// `firebreak override` included, so nobody opens the roster file to know whom to call.
struct OnCallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "oncall", abstract: "Show who holds each role now, and who is next.")
    @Argument(help: "One role's id (default: every role).") var role: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let rows = try daemon.call(.onCall(role: role)).arrayValue ?? []
        if daemon.json { print(JSONValue.array(rows).jsonText); return }
        print(pad("ROLE", 22) + pad("NOW", 24) + "NEXT")
        for r in rows {
            let now = r["holder"]?.stringValue.map { $0 + (r["override"] != nil ? " (override)" : "") } ?? "nobody"
            let next = r["next_at"].map { "\(r["next_holder"]?.stringValue ?? "nobody") from \(localTime($0))" } ?? "no change due"
            print(pad(r["role"]?.stringValue ?? "", 22) + pad(now, 24) + next)
            if let o = r["override"] {
                print(pad("", 22) + "override until \(localTime(o["until"]))" + (o["reason"]?.stringValue.map { ": \($0)" } ?? ""))
            }
        }
    }
}

/// `firebreak override ROLE PERSON --until TIME`: a manager puts someone on a role for a while (a swap, a sick
/// day), journaled like every other change.
struct OverrideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "override", abstract: "Put a person on a role until a time (managers).")
    @Argument(help: "The role's id.") var role: String
    @Argument(help: "The person's roster id.") var person: String
    @Option(help: "Until when: a duration from now (8h, 2d), a local time (2026-12-07 09:00) or an RFC 3339 time.") var until: String
    @Option(help: "Why, for the record.") var reason: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        guard let end = Self.time(until) else {
            throw ValidationError("--until \(until) is not a duration (8h), a local time (2026-12-07 09:00) or an RFC 3339 time")
        }
        let result = try daemon.call(.override(role: role, person: person, until: end, reason: reason))
        done(result, daemon, "\(person) holds \(role) until \(localTime(.string(end.rfc3339)))")
    }

    /// A duration from now, a local "YYYY-MM-DD HH:MM" (or with a T), or RFC 3339.
    static func time(_ text: String) -> Timestamp? {
        let now = Timestamp(millisecondsSinceEpoch: Int64(Glibc.time(nil)) * 1000)
        if let span = TimeSpan(parsing: text), span > .zero { return now + span }
        if let t = Timestamp(rfc3339: text) { return t }
        let parts = text.replacingOccurrences(of: "T", with: " ").split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).compactMap { Int32($0) }
        guard parts.count == 5 else { return nil }
        var t = tm()
        t.tm_year = parts[0] - 1900
        t.tm_mon = parts[1] - 1
        t.tm_mday = parts[2]
        t.tm_hour = parts[3]
        t.tm_min = parts[4]
        t.tm_isdst = -1
        let seconds = mktime(&t)
        return seconds < 0 ? nil : Timestamp(millisecondsSinceEpoch: Int64(seconds) * 1000)
    }
}
