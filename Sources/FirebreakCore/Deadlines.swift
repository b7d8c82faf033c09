/// When a step or an incident's acknowledgement next needs attention, as a pure function of its state.
public enum Deadlines {
    public enum Kind: Sendable, Hashable {
        /// Remind the owner before the deadline.
        case reminder
        /// The deadline itself passed.
        case missed
        /// Escalation level (or repeat after the last level) number n, counting from 0.
        case escalation(Int)
    }

    public struct Due: Sendable, Hashable {
        public let time: Timestamp
        public let kind: Kind
    }

    public static func step(_ inc: IncidentState, _ i: Int) -> Due? {
        let step = inc.steps[i]
        guard step.isOpen else { return nil }
        let plan = inc.plan.steps[i]
        if !step.reminded && !step.missed, let remind = plan.remindBefore ?? inc.plan.escalation.remindBefore, remind > .zero {
            let at = step.due - remind
            if let ready = step.readyAt, at > ready { return Due(time: at, kind: .reminder) }
        }
        if !step.missed { return Due(time: step.due, kind: .missed) }
        return ladder(inc.plan.escalation, from: step.due, sent: Int(step.escalations))
    }

    public static func ack(_ inc: IncidentState) -> Due? {
        guard inc.status == .open else { return nil }
        if !inc.ackMissed { return Due(time: inc.ackDue, kind: .missed) }
        return ladder(inc.plan.escalation, from: inc.ackDue, sent: inc.ackEscalations)
    }

    /// Level n at its `after`; past the last level, repeats every `repeatEvery`, at most `maxRepeats` times.
    static func ladder(_ p: EscalationPolicy, from due: Timestamp, sent: Int) -> Due? {
        if sent < p.levels.count { return Due(time: due + p.levels[sent].after, kind: .escalation(sent)) }
        guard let every = p.repeatEvery, let last = p.levels.last else { return nil }
        let repeatNumber = sent - p.levels.count + 1
        guard repeatNumber <= p.maxRepeats else { return nil }
        let (wait, overflow) = every.milliseconds.multipliedReportingOverflow(by: Int64(repeatNumber))
        return Due(time: due + last.after + TimeSpan(milliseconds: overflow ? .max : wait), kind: .escalation(sent))
    }

    /// The level (or the last level, for repeats) that escalation number n notifies.
    static func level(_ p: EscalationPolicy, _ n: Int) -> EscalationPolicy.Level? {
        n < p.levels.count ? p.levels[n] : p.levels.last
    }
}
