import ArgumentParser
import FirebreakCore
import FirebreakProtocol
import FirebreakReview
import Foundation

/// `firebreak postmortem INC`: the review of one incident, built by the daemon from the journal.
struct PostmortemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postmortem",
        abstract: "The post-mortem of an incident: timeline, steps on time or late, escalations, reports, notes, and the journal proof.",
        discussion: "For responders and managers; reporters' names appear for managers only."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, html, json }

    @Argument(help: "The incident (INC-12).", transform: EngineState.canonicalIncidentID) var incident: String
    @Option(help: "markdown, html (a printable page) or json.") var format: Format = .markdown
    @Option(name: [.short, .long], help: "Write it to this file instead of standard output.") var output: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let p = try daemon.call(.postmortem(incident: incident))
        let text: String
        switch format {
        case .json: text = p.jsonText + "\n"
        case .markdown: text = PostmortemText.markdown(p)
        case .html: text = WebPage.document(title: "Post-mortem \(incident)", body: PostmortemText.html(p))
        }
        if let output {
            if let problem = writeFile(output, Array(text.utf8)) {
                printError("firebreak: cannot write \(output): \(problem)")
                throw ExitCode(2)
            }
        } else {
            print(text, terminator: "")
        }
    }
}

/// `firebreak metrics`: response times, deadline adherence, incidents per week, overdue steps.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Time to acknowledge and resolve (median, p90), deadline adherence by playbook, role and person, incidents per category per week, overdue steps."
    )

    @Option(help: "Incidents opened at or after this date (2026-11-01) or time.") var since: String?
    @Option(help: "Incidents opened before this date or time.") var until: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let operation: ControlOperation
        do throws(ProtocolError) { operation = try .metrics(sinceText: since, untilText: until) } catch { throw daemon.failed(error) }
        let m = try daemon.call(operation)
        if daemon.json { print(m.jsonText); return }
        func d(_ v: JSONValue?) -> String { v?.intValue.map { TimeSpan(milliseconds: $0).words } ?? "—" }
        print("\(m["incidents"]?.intValue ?? 0) incidents" + (since.map { " since \($0)" } ?? "") + (until.map { " until \($0)" } ?? ""))
        for (label, key) in [("Time to acknowledge", "time_to_acknowledge"), ("Time to resolve", "time_to_resolve")] {
            let s = m[key]
            print("\(label): median \(d(s?["median_ms"])), p90 \(d(s?["p90_ms"])) over \(s?["count"]?.intValue ?? 0)")
        }
        for dimension in ["playbook", "role", "person"] {
            guard case .object(let rows)? = m["deadline_adherence"]?[dimension], !rows.isEmpty else { continue }
            print("Deadlines met by \(dimension):")
            for (key, v) in rows.sorted(by: { $0.key < $1.key }) {
                let rate = Int(((v["rate"]?.doubleValue ?? 0) * 100).rounded())
                print("  " + key.padding(toLength: 28, withPad: " ", startingAt: 0) + " \(rate)% (\(v["on_time"]?.intValue ?? 0) on time, \(v["late"]?.intValue ?? 0) late)")
            }
        }
        print("Incidents per week:")
        for w in m["incidents_per_week"]?.arrayValue ?? [] {
            let cats = (w["categories"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.intValue ?? 0)" }
            print("  \(w["week"]?.stringValue ?? "?"): " + cats.joined(separator: ", "))
        }
        let overdue = m["overdue_steps"]?.arrayValue ?? []
        print("Overdue steps now: \(overdue.count)")
        for o in overdue {
            print("  \(o["incident"]?.stringValue ?? "") \(o["step"]?.stringValue ?? "") (\(o["owner"]?.stringValue ?? "nobody")), late by \(d(o["late_by_ms"]))")
        }
    }
}

/// `firebreak web-login`: a one-time link that signs you in to the web pages as yourself.
struct WebLoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web-login",
        abstract: "Print a link that signs you in to the web pages (once, within ten minutes), and a token for the JSON API."
    )

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let r = try daemon.call(.webLogin)
        if daemon.json { print(r.jsonText); return }
        print("Open this link in your browser (it works once, for ten minutes):")
        print("  \(r["url"]?.stringValue ?? "?")")
        print("For scripts, the JSON API takes: Authorization: Bearer \(r["session"]?.stringValue ?? "?")   (valid twelve hours)")
    }
}
