import FirebreakCore
import Prometheus

/// The daemon's Prometheus figures (swift-prometheus), served at `/metrics`: counted when records become
/// durable, so they agree with the journal.
public final class DaemonMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let reportsReceived: Counter
    let reportsRejected: Counter
    let incidentsOpened: Counter
    let notificationFailures: Counter
    let notificationsSent: Counter
    let stepsOverdue: Gauge
    let openIncidents: Gauge
    let appendLatency: DurationHistogram

    public init() {
        reportsReceived = registry.makeCounter(name: "firebreak_reports_received_total", help: "Reports journaled (socket, spool, web).")
        reportsRejected = registry.makeCounter(name: "firebreak_reports_rejected_total", help: "Spool files refused and moved to rejected/.")
        incidentsOpened = registry.makeCounter(name: "firebreak_incidents_opened_total", help: "Incidents opened.")
        notificationFailures = registry.makeCounter(name: "firebreak_notification_failures_total", help: "Failed notification attempts.")
        notificationsSent = registry.makeCounter(name: "firebreak_notifications_sent_total", help: "Notifications delivered.")
        stepsOverdue = registry.makeGauge(name: "firebreak_steps_overdue", help: "Open steps past their deadline, when last scraped.")
        openIncidents = registry.makeGauge(name: "firebreak_open_incidents", help: "Open or acknowledged incidents, when last scraped.")
        appendLatency = registry.makeDurationHistogram(
            name: "firebreak_journal_append_seconds",
            buckets: [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)],
            help: "Time from handing a batch to the journal to its fdatasync.")
    }

    /// Counts the types of records just made durable.
    func count(_ types: [String]) {
        for type in types {
            switch type {
            case EventType.reportReceived: reportsReceived.increment()
            case EventType.incidentOpened: incidentsOpened.increment()
            case EventType.notificationFailed: notificationFailures.increment()
            case EventType.notificationSent: notificationsSent.increment()
            case EventType.reportRejected: reportsRejected.increment()
            default: break
            }
        }
    }
}
