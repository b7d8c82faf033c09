/// What a deadline falling due produces: a reminder, a missed deadline, or an escalation to the next person on
/// the policy's ladder, each with a request to notify someone.
enum Escalation {
    /// Events are stamped `now`, when the deadline was noticed, which is later than `due.time` when the daemon
    /// was down as it passed; the records say the deadline itself (`due`) too.
    static func events(for inc: IncidentState, step: Int?, due: Deadlines.Due, on d: inout Draft, context: EngineContext) {
        d.id = inc.id
        let roster = context.roster
        if let i = step {
            let plan = inc.plan.steps[i], s = inc.steps[i]
            switch due.kind {
            case .reminder:
                d.emit(.stepReminded(StepReminded(incident: inc.id, step: plan.id, due: s.due)))
                if let owner = s.owner {
                    d.notify(owner, kind: .stepReminder, step: plan.id, reason: "\(plan.title) is due at \(s.due.rfc3339)")
                }
            case .missed:
                d.emit(.stepMissed(StepMissed(incident: inc.id, step: plan.id, due: s.due, owner: s.owner)))
                // When the first escalation level tells the owner at once, that message is the one they get:
                // one message per person per event, not "missed" and "escalated to you" together.
                let ownerToldAtOnce = inc.plan.escalation.levels.first.map { $0.after == .zero && $0.notify == .owner } ?? false
                if let owner = s.owner, !ownerToldAtOnce {
                    d.notify(owner, kind: .stepMissed, step: plan.id, reason: "\(plan.title) missed its deadline of \(s.due.rfc3339)")
                }
            case .escalation(let n):
                escalate(&d, n: n, role: plan.owner, owner: s.owner, step: plan.id, roster: roster,
                         reason: "\(plan.title) missed its deadline of \(s.due.rfc3339)")
            }
        } else {
            let role = inc.plan.steps.first?.owner ?? ""
            let owner = inc.steps.first?.owner ?? roster.holder(of: role, at: d.now)
            switch due.kind {
            case .reminder:
                break
            case .missed:
                d.emit(.ackMissed(AckMissed(incident: inc.id, due: inc.ackDue)))
            case .escalation(let n):
                escalate(&d, n: n, role: role, owner: owner, step: nil, roster: roster,
                         reason: "\(inc.id) was not acknowledged by \(inc.ackDue.rfc3339)")
            }
        }
    }

    /// Escalation number n: the level's target resolved now; when the target cannot be resolved (no backup
    /// configured, nobody in the role) the next one up is told rather than nobody.
    static func escalate(_ d: inout Draft, n: Int, role: String, owner: String?, step: String?, roster: Roster, reason: String) {
        guard let level = Deadlines.level(d.incident.plan.escalation, n) else { return }
        let now = d.now
        func resolve(_ t: EscalationPolicy.Target) -> String? {
            switch t {
            case .owner: owner
            case .backup: roster.backup(of: role, at: now)
            case .manager: roster.manager(of: role)
            case .role(let r): roster.holder(of: r, at: now)
            }
        }
        let chain: [EscalationPolicy.Target] = [level.notify, .manager, .owner]
        let found = chain.lazy.compactMap { t in resolve(t).map { (target: t, person: $0) } }.first
        let to = found?.person ?? roster.managers.sorted().first
        // Who they are in this, said in their message: a backup and a manager told about the same step get
        // different words, and each knows which rung of the ladder they are on.
        let title = roster.roles[role]?.title ?? role
        let levels = d.incident.plan.escalation.levels.count
        let rung = n < levels ? "escalation level \(n + 1) of \(levels)" : "escalation repeat \(n - levels + 1)"
        let part: String
        switch found?.target {
        case .owner?: part = step == nil ? "the owner of its first step" : "the owner of this step"
        case .backup?: part = "the backup for \(title)"
        case .manager?: part = "the manager of \(title)"
        case .role(let r)?: part = "on \(roster.roles[r]?.title ?? r)"
        case nil: part = "a manager (nobody nearer could be found)"
        }
        let repeatNumber = n >= levels ? Int64(n - levels + 1) : nil
        d.emit(.escalation(EscalationTriggered(incident: d.id, step: step, manual: false, level: Int64(n), repeatNumber: repeatNumber,
                                               notify: level.notify.description, reason: reason, to: to)))
        if let to {
            d.notify(to, kind: step == nil ? .ackOverdue : .escalation, step: step, reason: "You are \(part) (\(rung)). \(reason)")
        }
    }
}
