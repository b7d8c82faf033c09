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
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "firebreak", metricName: metric, unitName: unit, helpText: help)
        }
        reportsReceived = registry.makeCounter(descriptor: name("reports_received", "total", "Reports journaled (socket, spool, web)."))
        reportsRejected = registry.makeCounter(descriptor: name("reports_rejected", "total", "Spool files refused and moved to rejected/."))
        incidentsOpened = registry.makeCounter(descriptor: name("incidents_opened", "total", "Incidents opened."))
        notificationFailures = registry.makeCounter(descriptor: name("notification_failures", "total", "Failed notification attempts."))
        notificationsSent = registry.makeCounter(descriptor: name("notifications_sent", "total", "Notifications delivered."))
        // Counts of things, without a unit.
        stepsOverdue = registry.makeGauge(descriptor: name("steps_overdue", "", "Open steps past their deadline, when last scraped."))
        openIncidents = registry.makeGauge(descriptor: name("open_incidents", "", "Open or acknowledged incidents, when last scraped."))
        appendLatency = registry.makeDurationHistogram(
            descriptor: name("journal_append", "seconds", "Time from handing a batch to the journal to its fdatasync."),
            buckets: [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
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
