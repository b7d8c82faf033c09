/// What each kind of person may see. The socket and web layers show records only through this.
///
/// Reporters are protected from exposure: responders work an incident without learning who reported it;
/// managers see reporters' names (they may need to follow up); a reporter sees their own reports and the
/// incident they went to, nothing else.
public enum Visibility {
    /// The event as `actor` may see it, or nil when they may not see it at all.
    public static func event(_ e: Event, for actor: Actor) -> Event? {
        switch actor.access {
        case .manager:
            return e
        case .responder:
            return redactReporter(e)
        case .reporter:
            guard case .reportReceived(let r) = e.body, r.reporter == actor.id else { return nil }
            return e
        }
    }

    /// Whether `actor` may see the incident at all: responders and managers see every incident, a reporter
    /// only those their own reports went to.
    public static func maySee(_ incident: IncidentState, actor: Actor) -> Bool {
        actor.access >= .responder || incident.reporters.contains(actor.id)
    }

    /// Whether `actor` may see and fetch evidence handed in with others' reports: responders and managers, who
    /// work the incident; never other reporters.
    public static func maySeeEvidence(_ actor: Actor) -> Bool { actor.access >= .responder }

    /// Whether `actor` may see who reported.
    public static func maySeeReporters(_ actor: Actor) -> Bool { actor.access == .manager }

    static func redactReporter(_ e: Event) -> Event {
        guard case .reportReceived(var r) = e.body else { return e }
        r.reporter = nil
        r.key = nil
        return Event(time: e.time, actor: "(a reporter)", .reportReceived(r))
    }
}
