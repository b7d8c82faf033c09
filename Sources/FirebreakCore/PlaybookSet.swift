/// All playbooks in force, checked together, and the choice of the one that runs for a report.
public struct PlaybookSet: Sendable, Hashable {
    public let playbooks: [Playbook]
    /// `playbooks[i]`'s plan and the JSON an `incident.opened` record carries of it, made once here rather than
    /// for every incident: one object shared by every incident the playbook opens.
    private let recorded: [RecordedPlan]

    public init(_ playbooks: [Playbook]) {
        self.playbooks = playbooks.sorted { $0.id < $1.id }
        recorded = self.playbooks.map(RecordedPlan.init)
    }

    public subscript(id: String) -> Playbook? { playbooks.first { $0.id == id } }

    /// Problems that only show across files: duplicate ids, no or several fallbacks, and two playbooks that
    /// would match the same reports equally. (Roles are checked per file, by `PlaybookParser`.)
    public func validate() -> [Diagnostic] {
        var out: [Diagnostic] = []
        var byID: [String: Playbook] = [:]
        for p in playbooks {
            if let other = byID[p.id] {
                out.append(Diagnostic(file: p.file, "playbook id \"\(p.id)\" is also used by \(other.file)"))
            }
            byID[p.id] = p
        }
        let fallbacks = playbooks.filter { $0.match.fallback }
        if fallbacks.isEmpty {
            out.append(Diagnostic(file: "Playbooks", "no playbook has match.fallback: true, so a report that matches no playbook would have no response; add a general triage playbook"))
        } else if fallbacks.count > 1 {
            out.append(Diagnostic(file: fallbacks[1].file, "more than one fallback playbook (\(fallbacks.map(\.id).joined(separator: ", "))): only one can take unmatched reports"))
        }
        for (i, a) in playbooks.enumerated() {
            for b in playbooks[(i + 1)...] where Self.matchEqually(a.match, b.match) {
                out.append(Diagnostic(file: b.file, "playbooks \"\(a.id)\" and \"\(b.id)\" match the same reports equally (same kinds of criteria, overlapping values): make one more specific or merge them"))
            }
        }
        return out
    }

    /// Whether some report would be matched by both with the same specificity, so neither is "more specific".
    static func matchEqually(_ a: Playbook.Match, _ b: Playbook.Match) -> Bool {
        guard !a.fallback, !b.fallback else { return false }
        guard (a.categories.isEmpty == b.categories.isEmpty), (a.keywords.isEmpty == b.keywords.isEmpty),
              (a.platforms.isEmpty == b.platforms.isEmpty) else { return false }
        if !a.categories.isEmpty && a.categories.isDisjoint(with: b.categories) { return false }
        if !a.platforms.isEmpty && a.platforms.isDisjoint(with: b.platforms) { return false }
        if !a.keywords.isEmpty && Set(a.keywords).isDisjoint(with: b.keywords) { return false }
        return true
    }

    /// The playbook chosen for a report and, in words, why (journaled with the incident).
    public struct Choice: Sendable, Hashable {
        public let playbook: Playbook
        public let reason: String
        /// The playbook's plan, to record with the incident.
        let recorded: RecordedPlan
    }

    /// The most specific matching playbook: the one naming the most kinds of criteria (category, keywords,
    /// platform), all satisfied; then the one with more keywords found; then the more severe; then by id.
    /// The fallback playbook when nothing else matches.
    public func choose(for report: Report, platform: String?) -> Choice? {
        let text = [report.text, report.note].compactMap { $0 }.joined(separator: "\n")
        var best: (Int, Int, [String])?
        for (i, p) in playbooks.enumerated() where !p.match.fallback {
            let m = p.match
            if !m.categories.isEmpty {
                guard let c = report.category, m.categories.contains(c) else { continue }
            }
            if !m.platforms.isEmpty {
                guard let pl = platform, m.platforms.contains(pl) else { continue }
            }
            var hits: [String] = []
            if !m.keywords.isEmpty {
                hits = Keywords.found(m.keywords, in: text)
                guard !hits.isEmpty else { continue }
            }
            let better: Bool
            if let (bi, bs, bh) = best {
                let bp = playbooks[bi]
                better = (m.specificity, hits.count, p.severity, bp.id) > (bs, bh.count, bp.severity, p.id)
            } else {
                better = true
            }
            if better { best = (i, m.specificity, hits) }
        }
        if let (i, _, hits) = best {
            let p = playbooks[i]
            var parts: [String] = []
            if let c = report.category, p.match.categories.contains(c) { parts.append("category \(c.rawValue)") }
            if !hits.isEmpty { parts.append("keyword\(hits.count > 1 ? "s" : "") " + hits.map { "\"\($0)\"" }.joined(separator: ", ")) }
            if let pl = platform, p.match.platforms.contains(pl) { parts.append("platform \(pl)") }
            return Choice(playbook: p, reason: "matched on " + parts.joined(separator: " and ") + " (specificity \(p.match.specificity))",
                          recorded: recorded[i])
        }
        if let i = playbooks.firstIndex(where: { $0.match.fallback }) {
            let fallback = playbooks[i]
            return Choice(playbook: fallback, reason: "no other playbook matched; \(fallback.id) takes the rest", recorded: recorded[i])
        }
        return nil
    }
}

/// A playbook's plan with its JSON, as journaled in `incident.opened`. Equal when the JSON is: the same plan
/// made from a playbook and read back from the journal.
public struct RecordedPlan: Sendable, Hashable {
    /// The member of `incident.opened`'s data that holds it.
    static let key = "plan"
    public let plan: Plan
    public let json: JSONValue
    /// `JSONWriter.write(json)`, for a plan made from a playbook: the plan is most of an `incident.opened`
    /// line, written once per playbook rather than once per incident. Nil for one read back.
    let written: [UInt8]?

    init(_ p: Playbook) {
        plan = Plan(playbook: p.id, title: p.title, steps: p.steps, escalation: p.escalation, raise: p.raise)
        json = PlanCoding.json(plan)
        var bytes: [UInt8] = []
        JSONWriter.write(json, into: &bytes)
        written = bytes
    }

    init?(json: JSONValue) {
        guard let plan = PlanCoding.plan(json) else { return nil }
        self.plan = plan
        self.json = json
        written = nil
    }

    public static func == (a: RecordedPlan, b: RecordedPlan) -> Bool { a.plan === b.plan || a.json == b.json }
    public func hash(into h: inout Hasher) { h.combine(json) }
}
