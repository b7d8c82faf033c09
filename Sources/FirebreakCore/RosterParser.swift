import Foundation
import Yams

/// Reads the roster file, with a diagnostic (line and column) for every problem.
public enum RosterParser {
    static let topKeys = ["people", "managers", "roles", "overrides"]
    static let personKeys = ["id", "name", "unix_user", "contacts"]
    static let roleKeys = ["id", "title", "members", "rotation", "backup", "manager"]
    static let rotationKeys = ["every", "handover", "weekday", "timezone", "start"]
    static let overrideKeys = ["role", "person", "from", "until", "reason"]
    static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    public static func parse(_ text: String, file: String) -> (Roster?, [Diagnostic]) {
        var r = YAMLReader(file: file)
        guard let root = r.compose(text), let top = r.mapping(root, what: "the roster", allowed: topKeys) else {
            return (nil, r.diagnostics)
        }
        var people: [String: Roster.Person] = [:]
        var personNodes: [String: Node] = [:]
        for (i, node) in (top["people"]?.sequence.map(Array.init) ?? []).enumerated() {
            guard let m = r.mapping(node, what: "people[\(i)]", allowed: personKeys),
                  let id = r.string(m["id"], "people[\(i)].id", required: true, parent: node) else { continue }
            if people[id] != nil { r.error(m["id"], "person \"\(id)\" is listed twice") }
            var contacts: [(String, String)] = []
            for (j, c) in (m["contacts"]?.sequence.map(Array.init) ?? []).enumerated() {
                guard let cm = c.mapping, cm.count == 1, let k = cm.first?.key.string, let v = cm.first?.value.string else {
                    r.error(c, "people[\(i)].contacts[\(j)] must be one channel and its address, such as email: someone@example.org")
                    continue
                }
                contacts.append((k, v))
            }
            if let c = m["contacts"], c.sequence == nil { r.error(c, "people[\(i)].contacts must be a list") }
            let unix = r.string(m["unix_user"], "people[\(i)].unix_user")
            if let unix, let other = people.values.first(where: { $0.unixUser == unix }) {
                r.error(m["unix_user"], "unix user \"\(unix)\" is already \(other.id)'s")
            }
            people[id] = Roster.Person(id: id, name: r.string(m["name"], "people[\(i)].name", required: true, parent: node) ?? id,
                                       unixUser: unix, contacts: contacts)
            personNodes[id] = node
        }
        if top["people"]?.sequence == nil { r.error(top["people"] ?? root, "people must be a list of people") }

        func checkPerson(_ id: String, _ node: Node?, _ what: String) {
            if people[id] == nil {
                let hint = YAMLReader.closest(id, in: Array(people.keys)).map { " (did you mean \"\($0)\"?)" } ?? ""
                r.error(node, "\(what) \"\(id)\" is not a person in the roster\(hint)")
            }
        }
        let managers = r.strings(top["managers"], "managers")
        for m in managers { checkPerson(m, top["managers"], "manager") }

        var roles: [String: Roster.Role] = [:]
        var roleNodes: [String: [String: Node]] = [:]
        for (i, node) in (top["roles"]?.sequence.map(Array.init) ?? []).enumerated() {
            guard let m = r.mapping(node, what: "roles[\(i)]", allowed: roleKeys),
                  let id = r.string(m["id"], "roles[\(i)].id", required: true, parent: node) else { continue }
            if roles[id] != nil { r.error(m["id"], "role \"\(id)\" is listed twice") }
            let members = r.strings(m["members"], "roles[\(i)].members")
            if members.isEmpty { r.error(m["members"] ?? node, "role \"\(id)\" needs at least one member") }
            for p in members { checkPerson(p, m["members"], "member") }
            var rotation: Roster.Rotation?
            if let rn = m["rotation"], let rm = r.mapping(rn, what: "roles[\(i)].rotation", allowed: rotationKeys) {
                rotation = parseRotation(rm, node: rn, &r, what: "roles[\(i)].rotation")
            }
            roles[id] = Roster.Role(id: id, title: r.string(m["title"], "roles[\(i)].title") ?? id, members: members,
                                    rotation: rotation, backup: r.string(m["backup"], "roles[\(i)].backup"),
                                    manager: r.string(m["manager"], "roles[\(i)].manager"))
            roleNodes[id] = m
        }
        if top["roles"]?.sequence == nil { r.error(top["roles"] ?? root, "roles must be a list of roles") }
        for (id, role) in roles.sorted(by: { $0.key < $1.key }) {
            if let b = role.backup {
                if roles[b] == nil && people[b] == nil {
                    r.error(roleNodes[id]?["backup"], "backup \"\(b)\" of role \"\(id)\" is neither a role nor a person")
                }
                if b == id { r.error(roleNodes[id]?["backup"], "role \"\(id)\" cannot be its own backup") }
            } else {
                r.warning(roleNodes[id]?["id"], "role \"\(id)\" has no backup: missed deadlines skip straight to the manager")
            }
            if let mgr = role.manager { checkPerson(mgr, roleNodes[id]?["manager"], "manager") } else {
                r.warning(roleNodes[id]?["id"], "role \"\(id)\" has no manager to escalate to")
            }
        }

        var overrides: [Roster.Override] = []
        for (i, node) in (top["overrides"]?.sequence.map(Array.init) ?? []).enumerated() {
            guard let m = r.mapping(node, what: "overrides[\(i)]", allowed: overrideKeys),
                  let role = r.string(m["role"], "overrides[\(i)].role", required: true, parent: node),
                  let person = r.string(m["person"], "overrides[\(i)].person", required: true, parent: node) else { continue }
            if roles[role] == nil { r.error(m["role"], "overrides[\(i)].role \"\(role)\" is not a role") }
            checkPerson(person, m["person"], "overrides[\(i)].person")
            guard let fromText = r.string(m["from"], "overrides[\(i)].from", required: true, parent: node),
                  let untilText = r.string(m["until"], "overrides[\(i)].until", required: true, parent: node) else { continue }
            guard let from = Timestamp(rfc3339: fromText) else { r.error(m["from"], "overrides[\(i)].from is not an RFC 3339 time such as 2026-12-24T09:00:00Z"); continue }
            guard let until = Timestamp(rfc3339: untilText) else { r.error(m["until"], "overrides[\(i)].until is not an RFC 3339 time"); continue }
            if until <= from { r.error(m["until"], "overrides[\(i)] ends before it starts") }
            overrides.append(Roster.Override(role: role, person: person, from: from, until: until, reason: r.string(m["reason"], "overrides[\(i)].reason")))
        }
        guard !r.diagnostics.contains(where: { $0.level == .error }) else { return (nil, r.diagnostics) }
        return (Roster(people: people, roles: roles, overrides: overrides, managers: Set(managers)), r.diagnostics)
    }

    static func parseRotation(_ m: [String: Node], node: Node, _ r: inout YAMLReader, what: String) -> Roster.Rotation? {
        guard let everyText = r.string(m["every"], "\(what).every", required: true, parent: node) else { return nil }
        guard let every = Roster.Rotation.Every(rawValue: everyText) else {
            r.error(m["every"], "\(what).every must be daily or weekly"); return nil
        }
        let handoverText = r.string(m["handover"], "\(what).handover", required: true, parent: node) ?? "09:00"
        let hm = handoverText.split(separator: ":").compactMap { Int($0) }
        guard hm.count == 2, (0..<24).contains(hm[0]), (0..<60).contains(hm[1]) else {
            r.error(m["handover"], "\(what).handover \"\(handoverText)\" must be a time of day such as 09:00"); return nil
        }
        var weekday = 2
        if every == .weekly {
            guard let w = r.string(m["weekday"], "\(what).weekday", required: true, parent: node) else { return nil }
            guard let i = weekdays.firstIndex(of: w.lowercased()) else {
                r.error(m["weekday"], "\(what).weekday \"\(w)\" must be a day such as monday"); return nil
            }
            weekday = i + 1
        } else if m["weekday"] != nil {
            r.warning(m["weekday"], "\(what).weekday is only used by weekly rotations")
        }
        guard let tzName = r.string(m["timezone"], "\(what).timezone", required: true, parent: node) else { return nil }
        guard TimeZone(identifier: tzName) != nil else {
            r.error(m["timezone"], "\(what).timezone \"\(tzName)\" is not a time zone such as Europe/London"); return nil
        }
        guard let startText = r.string(m["start"], "\(what).start", required: true, parent: node) else { return nil }
        let parts = startText.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { r.error(m["start"], "\(what).start must be a date such as 2026-01-05"); return nil }
        return Roster.Rotation(every: every, handoverMinute: hm[0] * 60 + hm[1], weekday: weekday, timeZone: tzName,
                               start: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }
}
