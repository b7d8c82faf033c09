/// Plans, policies and rules as JSON, for the `incident.opened` record: the record carries the whole plan, so
/// replay and post-mortems never depend on the playbook files as they are later.
enum PlanCoding {
    static func json(_ plan: Plan) -> JSONValue {
        .object([
            "playbook": .string(plan.playbook),
            "playbook_title": .string(plan.title),
            "steps": .array(plan.steps.map(json)),
            "escalation": json(plan.escalation),
            "raise": .array(plan.raise.map { .object(["measure": .string($0.measure.rawValue), "at_least": .int($0.atLeast), "to": .string($0.to.rawValue)]) }),
        ])
    }

    static func json(_ s: StepPlan) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(s.id), "title": .string(s.title), "owner": .string(s.owner), "due_ms": .int(s.due.milliseconds),
        ]
        if !s.after.isEmpty { o["after"] = .array(s.after.map { .string($0) }) }
        if let w = s.when { o["when"] = .string(w.rawValue) }
        if let r = s.remindBefore { o["remind_before_ms"] = .int(r.milliseconds) }
        if let i = s.instructions { o["instructions"] = .string(i) }
        if s.dueAfterReady { o["due_after"] = "ready" }
        return .object(o)
    }

    static func json(_ e: EscalationPolicy) -> JSONValue {
        var o: [String: JSONValue] = [
            "levels": .array(e.levels.map { .object(["after_ms": .int($0.after.milliseconds), "notify": .string($0.notify.description)]) }),
            "max_repeats": .int(Int64(e.maxRepeats)),
        ]
        if let r = e.remindBefore { o["remind_before_ms"] = .int(r.milliseconds) }
        if let r = e.repeatEvery { o["repeat_ms"] = .int(r.milliseconds) }
        return .object(o)
    }

    static func plan(_ v: JSONValue) -> Plan? {
        guard let playbook = v["playbook"]?.stringValue, let title = v["playbook_title"]?.stringValue,
              let steps = v["steps"]?.arrayValue, let esc = v["escalation"], let levels = esc["levels"]?.arrayValue
        else { return nil }
        var plans: [StepPlan] = []
        for s in steps {
            guard let id = s["id"]?.stringValue, let t = s["title"]?.stringValue, let owner = s["owner"]?.stringValue,
                  let due = s["due_ms"]?.intValue else { return nil }
            plans.append(StepPlan(id: id, title: t, owner: owner, due: TimeSpan(milliseconds: due),
                                  after: s["after"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                  when: s["when"]?.stringValue.flatMap(Severity.init(rawValue:)),
                                  remindBefore: s["remind_before_ms"]?.intValue.map(TimeSpan.init(milliseconds:)),
                                  instructions: s["instructions"]?.stringValue, dueAfterReady: s["due_after"] == "ready"))
        }
        var policy = EscalationPolicy(remindBefore: esc["remind_before_ms"]?.intValue.map(TimeSpan.init(milliseconds:)), levels: [],
                                      repeatEvery: esc["repeat_ms"]?.intValue.map(TimeSpan.init(milliseconds:)),
                                      maxRepeats: Int(esc["max_repeats"]?.intValue ?? 0))
        for l in levels {
            guard let after = l["after_ms"]?.intValue, let n = l["notify"]?.stringValue, let target = EscalationPolicy.Target(n) else { return nil }
            policy.levels.append(EscalationPolicy.Level(after: TimeSpan(milliseconds: after), notify: target))
        }
        let raise: [SeverityRule] = (v["raise"]?.arrayValue ?? []).compactMap { r in
            guard let m = r["measure"]?.stringValue.flatMap(SeverityRule.Measure.init(rawValue:)), let n = r["at_least"]?.intValue,
                  let to = r["to"]?.stringValue.flatMap(Severity.init(rawValue:)) else { return nil }
            return SeverityRule(measure: m, atLeast: n, to: to)
        }
        return Plan(playbook: playbook, title: title, steps: plans, escalation: policy, raise: raise)
    }
}
