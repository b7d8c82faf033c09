import Yams

/// Reads one playbook file into a `Playbook`, with a diagnostic (line and column) for every problem.
public enum PlaybookParser {
    static let topKeys = ["id", "title", "description", "match", "severity", "acknowledge", "escalation", "raise", "steps"]
    static let matchKeys = ["categories", "keywords", "platforms", "fallback"]
    static let stepKeys = ["id", "title", "owner", "due", "after", "when", "remind_before", "instructions", "due_after"]
    static let escalationKeys = ["remind_before", "levels", "repeat", "max_repeats"]
    static let levelKeys = ["after", "notify"]
    static let raiseKeys = ["views", "shares", "reporters", "to"]

    /// The playbook, or nil when it has errors; diagnostics either way (warnings do not stop it).
    /// With a roster, step owners and escalation roles are checked against its roles here, where their
    /// positions are known.
    public static func parse(_ text: String, file: String, roster: Roster? = nil) -> (Playbook?, [Diagnostic]) {
        var r = YAMLReader(file: file)
        guard let root = r.compose(text), let top = r.mapping(root, what: "a playbook", allowed: topKeys) else {
            return (nil, r.diagnostics)
        }
        let id = r.string(top["id"], "id", required: true, parent: root) ?? ""
        if !id.isEmpty && !isIdentifier(id) {
            r.error(top["id"], "id \"\(id)\" must be lowercase letters, digits and dashes")
        }
        let title = r.string(top["title"], "title", required: true, parent: root) ?? id
        let description = r.string(top["description"], "description")
        let severity = top["severity"] == nil ? Severity.medium : (r.severity(top["severity"], "severity") ?? .medium)
        if top["severity"] == nil { r.error(root, "severity is required (low, medium, high, critical)") }
        let acknowledge = r.span(top["acknowledge"], "acknowledge", required: true, parent: root) ?? .minutes(15)

        var match = Playbook.Match()
        if let m = top["match"], let mm = r.mapping(m, what: "match", allowed: matchKeys) {
            for c in r.strings(mm["categories"], "match.categories") {
                if let cat = ReportCategory(rawValue: c) {
                    match.categories.insert(cat)
                } else {
                    let hint = YAMLReader.closest(c, in: ReportCategory.allCases.map(\.rawValue)).map { " (did you mean \"\($0)\"?)" } ?? ""
                    r.error(mm["categories"], "unknown category \"\(c)\"\(hint)")
                }
            }
            match.keywords = r.strings(mm["keywords"], "match.keywords").map { Keywords.normalise($0) }.filter { !$0.isEmpty }
            match.platforms = Set(r.strings(mm["platforms"], "match.platforms").map { $0.lowercased() })
            if let f = mm["fallback"] {
                guard let b = YAMLReader.bool(f) else { r.error(f, "match.fallback must be true or false"); return (nil, r.diagnostics) }
                match.fallback = b
            }
            if match.fallback && match.specificity > 0 {
                r.error(m, "a fallback playbook takes whatever no other playbook matches: give it no categories, keywords or platforms")
            }
        } else if top["match"] == nil {
            r.error(root, "match is required: categories, keywords and/or platforms, or fallback: true")
        }
        if top["match"] != nil && !match.fallback && match.specificity == 0 {
            r.error(top["match"], "match names no categories, keywords or platforms; use fallback: true for a general playbook")
        }

        var escalation = EscalationPolicy.standard
        if let e = top["escalation"], let em = r.mapping(e, what: "escalation", allowed: escalationKeys) {
            if em["remind_before"] != nil { escalation.remindBefore = r.span(em["remind_before"], "escalation.remind_before") }
            if let levels = em["levels"] {
                var parsed: [EscalationPolicy.Level] = []
                for (i, level) in (levels.sequence.map(Array.init) ?? []).enumerated() {
                    guard let lm = r.mapping(level, what: "escalation.levels[\(i)]", allowed: levelKeys) else { continue }
                    let after = r.span(lm["after"], "escalation.levels[\(i)].after", required: true, parent: level) ?? .zero
                    guard let text = r.string(lm["notify"], "escalation.levels[\(i)].notify", required: true, parent: level) else { continue }
                    guard let target = EscalationPolicy.Target(text) else {
                        r.error(lm["notify"], "notify \"\(text)\" must be owner, backup, manager or role:<role id>")
                        continue
                    }
                    if case .role(let role) = target, let roster, roster.roles[role] == nil {
                        r.error(lm["notify"], "escalation notifies role \"\(role)\", which is not a role in the roster")
                    }
                    if let last = parsed.last, after < last.after {
                        r.error(lm["after"], "escalation levels must come in order of time: \(after) is before \(last.after)")
                    }
                    parsed.append(EscalationPolicy.Level(after: after, notify: target))
                }
                if levels.sequence == nil { r.error(levels, "escalation.levels must be a list") }
                if parsed.isEmpty { r.error(levels, "escalation.levels needs at least one level") }
                escalation.levels = parsed
            }
            if em["repeat"] != nil { escalation.repeatEvery = r.span(em["repeat"], "escalation.repeat") }
            if let n = r.int(em["max_repeats"], "escalation.max_repeats") { escalation.maxRepeats = Int(n) }
            if let every = escalation.repeatEvery, every < .minutes(1) {
                r.error(em["repeat"], "escalation.repeat of \(every) would flood people: use 1m or more")
            }
        }

        var raise: [SeverityRule] = []
        for (i, rule) in (top["raise"]?.sequence.map(Array.init) ?? []).enumerated() {
            guard let rm = r.mapping(rule, what: "raise[\(i)]", allowed: raiseKeys) else { continue }
            let measures = SeverityRule.Measure.allCases.filter { rm[$0.rawValue] != nil }
            guard measures.count == 1, let measure = measures.first else {
                r.error(rule, "raise[\(i)] needs exactly one of views, shares, reporters")
                continue
            }
            guard let n = r.int(rm[measure.rawValue], "raise[\(i)].\(measure.rawValue)", minimum: 1),
                  let to = r.severity(rm["to"], "raise[\(i)].to") else {
                if rm["to"] == nil { r.error(rule, "raise[\(i)] needs to: the severity to raise to") }
                continue
            }
            if to <= severity { r.warning(rm["to"], "raise[\(i)] raises to \(to.rawValue), which is not above the playbook's \(severity.rawValue)") }
            raise.append(SeverityRule(measure: measure, atLeast: n, to: to))
        }
        if let rn = top["raise"], rn.sequence == nil { r.error(rn, "raise must be a list") }

        var steps: [StepPlan] = []
        var seen: [String: Node] = [:]
        if let s = top["steps"] {
            if s.sequence == nil { r.error(s, "steps must be a list") }
            for (i, step) in (s.sequence.map(Array.init) ?? []).enumerated() {
                guard let sm = r.mapping(step, what: "steps[\(i)]", allowed: stepKeys) else { continue }
                guard let sid = r.string(sm["id"], "steps[\(i)].id", required: true, parent: step) else { continue }
                if !isIdentifier(sid) { r.error(sm["id"], "step id \"\(sid)\" must be lowercase letters, digits and dashes") }
                if seen[sid] != nil { r.error(sm["id"], "step id \"\(sid)\" is used twice in this playbook") }
                seen[sid] = sm["id"]
                let stitle = r.string(sm["title"], "steps[\(i)].title", required: true, parent: step) ?? sid
                let owner = r.string(sm["owner"], "steps[\(i)].owner", required: true, parent: step) ?? ""
                if let roster, !owner.isEmpty, roster.roles[owner] == nil {
                    let hint = YAMLReader.closest(owner, in: Array(roster.roles.keys)).map { " (did you mean \"\($0)\"?)" } ?? ""
                    r.error(sm["owner"], "step \"\(sid)\" is owned by \"\(owner)\", which is not a role in the roster\(hint)")
                }
                let due = r.span(sm["due"], "steps[\(i)].due", required: true, parent: step) ?? .zero
                let after = r.strings(sm["after"], "steps[\(i)].after")
                let when = sm["when"] == nil ? nil : r.severity(sm["when"], "steps[\(i)].when")
                let remind = r.span(sm["remind_before"], "steps[\(i)].remind_before")
                if let remind, remind >= due, due > .zero {
                    r.warning(sm["remind_before"], "steps[\(i)].remind_before (\(remind)) is not shorter than its due (\(due)): the reminder comes at once")
                }
                var dueAfterReady = false
                if let node = sm["due_after"] {
                    switch r.string(node, "steps[\(i)].due_after") {
                    case "ready": dueAfterReady = true
                    case "opening", nil: break
                    case let other?: r.error(node, "steps[\(i)].due_after is \"\(other)\"; it is \"opening\" (the default: due counts from the incident's opening) or \"ready\" (from when the step becomes ready)")
                    }
                }
                steps.append(StepPlan(id: sid, title: stitle, owner: owner, due: due, after: after, when: when,
                                      remindBefore: remind, instructions: r.string(sm["instructions"], "steps[\(i)].instructions"),
                                      dueAfterReady: dueAfterReady))
            }
        } else {
            r.error(root, "steps is required: a playbook with no steps gives nobody anything to do")
        }
        for (i, step) in steps.enumerated() {
            for dep in step.after where seen[dep] == nil {
                r.error(top["steps"]?.sequence?[i], "step \"\(step.id)\" waits for \"\(dep)\", which is not a step of this playbook")
            }
        }
        if let cycle = findCycle(steps) {
            r.error(top["steps"], "steps wait for each other in a circle: \(cycle.joined(separator: " → "))")
        }
        guard !r.diagnostics.contains(where: { $0.level == .error }) else { return (nil, r.diagnostics) }
        let playbook = Playbook(id: id, title: title, description: description, match: match, severity: severity,
                                acknowledge: acknowledge, escalation: escalation, raise: raise, steps: steps, file: file)
        return (playbook, r.diagnostics)
    }

    static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    /// A cycle in `after`, as the ids around it, or nil.
    static func findCycle(_ steps: [StepPlan]) -> [String]? {
        let deps = Dictionary(steps.map { ($0.id, $0.after) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ id: String) -> [String]? {
            if state[id] == 2 { return nil }
            if state[id] == 1 {
                let start = stack.firstIndex(of: id) ?? 0
                return Array(stack[start...]) + [id]
            }
            state[id] = 1
            stack.append(id)
            for d in deps[id] ?? [] where deps[d] != nil {
                if let c = visit(d) { return c }
            }
            stack.removeLast()
            state[id] = 2
            return nil
        }
        for s in steps { if let c = visit(s.id) { return c } }
        return nil
    }
}
