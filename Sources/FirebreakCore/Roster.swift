import Foundation

/// Who is who and who holds which role when (docs/roster.md): people, roles with rotations, dated overrides,
/// backups and managers. A role resolves to exactly one person at any instant.
public struct Roster: Sendable, Hashable {
    public struct Person: Sendable, Hashable {
        public var id: String
        public var name: String
        /// The Unix account that identifies them on the socket (SO_PEERCRED) and as owner of spool files.
        public var unixUser: String?
        /// Channel name to address (email, phone, webhook, …), in order of preference.
        public var contacts: [(channel: String, address: String)]

        public static func == (a: Person, b: Person) -> Bool {
            a.id == b.id && a.name == b.name && a.unixUser == b.unixUser
                && a.contacts.map(\.channel) == b.contacts.map(\.channel) && a.contacts.map(\.address) == b.contacts.map(\.address)
        }

        public func hash(into h: inout Hasher) { h.combine(id) }
    }

    public struct Rotation: Sendable, Hashable {
        public enum Every: String, Sendable, Hashable { case daily, weekly }
        public var every: Every
        /// Minutes after local midnight when one holder hands over to the next.
        public var handoverMinute: Int
        /// For weekly rotations, the weekday of the hand-over (1 = Sunday … 7 = Saturday, as Calendar counts).
        public var weekday: Int
        public var timeZone: String
        /// The first hand-over on or after this local date starts with the first member.
        public var start: DateComponents
        /// The calendar in the rotation's time zone and the first hand-over, worked out once: resolving an owner
        /// happens for every step that becomes ready.
        let calendar: Calendar
        let firstHandover: Date
        let handoverTimes: [Int64]

        public init(every: Every, handoverMinute: Int, weekday: Int, timeZone: String, start: DateComponents) {
            self.every = every
            self.handoverMinute = handoverMinute
            self.weekday = weekday
            self.timeZone = timeZone
            self.start = start
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
            calendar = cal
            let startDay = cal.date(from: DateComponents(year: start.year, month: start.month, day: start.day)) ?? Date(timeIntervalSince1970: 0)
            var first = cal.date(bySettingHour: handoverMinute / 60, minute: handoverMinute % 60, second: 0, of: startDay) ?? startDay
            if every == .weekly {
                for _ in 0..<7 where cal.component(.weekday, from: first) != weekday {
                    first = cal.date(byAdding: .day, value: 1, to: first) ?? first
                }
            }
            firstHandover = first
            // Ten years of hand-over instants, each the hand-over time on its local day (DST-aware), so finding
            // who is on duty is a binary search rather than calendar arithmetic.
            var times: [Int64] = []
            let count = every == .daily ? 3_660 : 523
            times.reserveCapacity(count)
            for k in 0..<count {
                guard let t = cal.date(byAdding: .day, value: every == .daily ? k : 7 * k, to: first) else { break }
                times.append(Int64((t.timeIntervalSince1970 * 1000).rounded()))
            }
            handoverTimes = times
        }
    }

    public struct Role: Sendable, Hashable {
        public var id: String
        public var title: String
        public var members: [String]
        public var rotation: Rotation?
        /// A role (whose holder is the backup) or a person.
        public var backup: String?
        /// A person to escalate to.
        public var manager: String?
    }

    public struct Override: Sendable, Hashable {
        public var role: String
        public var person: String
        public var from: Timestamp
        public var until: Timestamp
        public var reason: String?
    }

    public var people: [String: Person]
    public var roles: [String: Role]
    public var overrides: [Override]
    /// People who may do everything and see reporters' names.
    public var managers: Set<String>

    public init(people: [String: Person], roles: [String: Role], overrides: [Override], managers: Set<String>) {
        self.people = people
        self.roles = roles
        self.overrides = overrides
        self.managers = managers
    }

    /// The person holding `role` at `time`: a dated override covering the instant wins (the latest-starting one
    /// when several do); else the rotation's current member; else the first member.
    public func holder(of role: String, at time: Timestamp) -> String? {
        guard let r = roles[role] else { return nil }
        if let o = overrides.filter({ $0.role == role && $0.from <= time && time < $0.until }).max(by: { $0.from < $1.from }) {
            return o.person
        }
        guard !r.members.isEmpty else { return nil }
        guard let rotation = r.rotation else { return r.members[0] }
        let index = Roster.handovers(rotation, before: time)
        return r.members[index % r.members.count]
    }

    /// When the holder of `role` may next change after `time`: the next rotation hand-over, or the start or end
    /// of an override, whichever comes first (nil when nothing is due to change it).
    public func nextChange(of role: String, after time: Timestamp) -> Timestamp? {
        guard let r = roles[role] else { return nil }
        var candidates: [Timestamp] = []
        for o in overrides where o.role == role {
            if o.from > time { candidates.append(o.from) }
            if o.until > time { candidates.append(o.until) }
        }
        if let rotation = r.rotation, r.members.count > 1 {
            let t = time.millisecondsSinceEpoch
            if let next = rotation.handoverTimes.first(where: { $0 > t }) { candidates.append(Timestamp(millisecondsSinceEpoch: next)) }
        }
        return candidates.min()
    }

    /// The override that puts someone on `role` at `time`, if one does.
    public func override(of role: String, at time: Timestamp) -> Override? {
        overrides.filter { $0.role == role && $0.from <= time && time < $0.until }.max { $0.from < $1.from }
    }

    /// The backup for `role` at `time`: the holder of the backup role, or the backup person.
    public func backup(of role: String, at time: Timestamp) -> String? {
        guard let b = roles[role]?.backup else { return nil }
        if roles[b] != nil { return holder(of: b, at: time) }
        return people[b] != nil ? b : nil
    }

    public func manager(of role: String) -> String? { roles[role]?.manager }

    /// The person a login names: their Unix account, or (signed in on the web by e-mail or through the
    /// organisation's sign-on, which give an address) one of their e-mail contacts.
    public func person(unixUser: String) -> Person? {
        people.values.first { $0.unixUser == unixUser } ?? (unixUser.contains("@") ? person(email: unixUser) : nil)
    }

    public func person(email: String) -> Person? {
        let address = email.lowercased()
        return people.values.first { $0.contacts.contains { $0.channel == "email" && $0.address.lowercased() == address } }
    }

    /// What a person may do: managers everything; anyone in a role works incidents; everyone else reports.
    public func access(of person: String) -> Access {
        if managers.contains(person) { return .manager }
        if roles.values.contains(where: { $0.members.contains(person) || $0.manager == person || $0.backup == person })
            || overrides.contains(where: { $0.person == person }) {
            return .responder
        }
        return .reporter
    }

    /// How many hand-overs have happened from the rotation's start up to `time` (0 before the first).
    static func handovers(_ r: Rotation, before time: Timestamp) -> Int {
        let t = time.millisecondsSinceEpoch
        if let first = r.handoverTimes.first, let last = r.handoverTimes.last, t < last {
            if t < first { return 0 }
            // The number of hand-overs at or before t, less the first (which starts with member 0).
            var lo = 0, hi = r.handoverTimes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if r.handoverTimes[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
            return lo - 1
        }
        return handoversByCalendar(r, before: time)
    }

    /// The same count by calendar arithmetic: beyond the precomputed table, and to check the table against.
    static func handoversByCalendar(_ r: Rotation, before time: Timestamp) -> Int {
        let cal = r.calendar
        let date = Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000)
        let first = r.firstHandover
        guard date >= first else { return 0 }
        // Whole local days since the first hand-over, counting a day as begun at the hand-over time (so DST
        // changes never move a hand-over off its wall-clock time).
        let shifted = cal.date(byAdding: .minute, value: -r.handoverMinute, to: date) ?? date
        let firstShifted = cal.date(byAdding: .minute, value: -r.handoverMinute, to: first) ?? first
        let days = cal.dateComponents([.day], from: cal.startOfDay(for: firstShifted), to: cal.startOfDay(for: shifted)).day ?? 0
        return r.every == .daily ? days : days / 7
    }
}

/// What someone may do, from the roster.
public enum Access: String, Sendable, Hashable, Comparable {
    case reporter, responder, manager

    public static func < (a: Access, b: Access) -> Bool {
        let order: [Access] = [.reporter, .responder, .manager]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}
