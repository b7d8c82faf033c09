import FirebreakCore
import FirebreakReview
import Foundation

/// The HTML of the pages: server-rendered, no scripts, forms that post back (so they work without JavaScript,
/// on a phone, and behind strict proxies). Everything shown goes through `HTML.escape`.
enum WebPages {
    typealias E = HTML

    /// A record's time as people read it, with the exact time kept in `datetime`.
    static func time(_ v: JSONValue?) -> String {
        guard let text = v?.stringValue else { return "" }
        guard let t = Timestamp(rfc3339: text) else { return E.escape(text) }
        return "<time datetime=\"\(E.escape(text))\">\(E.escape(t.readable))</time>"
    }

    static func header(_ actor: Actor?) -> String {
        var links = "<a href=\"/report\">Report a post</a>"
        if let actor {
            links += "<a href=\"/board\">Board</a><a href=\"/incidents\">Incidents</a>"
            if actor.access >= .responder { links += "<a href=\"/review\">Review</a>" }
            links += "<span class=\"who\">\(E.escape(actor.id)) · \(actor.access.rawValue)</span>"
        }
        return "<header><a href=\"/\">Firebreak</a>\(links)</header>"
    }

    static func page(_ title: String, _ actor: Actor?, _ body: String, refresh: Int? = nil) -> String {
        WebPage.document(title: title, body: body, header: header(actor), refreshSeconds: refresh)
    }

    static func signIn(trustedHeader: String?, byEmail: Bool = false, error: String? = nil) -> String {
        let email = byEmail ? """
            <form method="post" action="/signin" id="signin">
            \(error.map { "<p class=\"error\" role=\"alert\">\(E.escape($0))</p>" } ?? "")
            <label for="email">Your work e-mail address</label>
            <input id="email" name="email" type="email" required autocomplete="email" placeholder="name@example.org">
            <p><button class="primary" type="submit">E-mail me a sign-in link</button></p>
            </form>
            <p>Or, with a terminal on this host:</p>
            """ : "<p>Firebreak knows you by your login. In a terminal, run</p>"
        return page("Sign in", nil, """
            <h1>Sign in</h1>
            \(email)
            <pre><code>firebreak web-login</code></pre>
            <p>and open the link it prints. The link works once, for ten minutes; the session lasts twelve hours.</p>
            \(trustedHeader.map { "<p class=\"hint\">Behind the organisation's single sign-on, the proxy passes who you are in <code>\(E.escape($0))</code>.</p>" } ?? "")
            """)
    }

    static func message(_ title: String, _ actor: Actor?, _ text: String, error: Bool = true, back: String = "/board") -> String {
        page(title, actor, "<h1>\(E.escape(title))</h1><p class=\"\(error ? "error" : "notice")\">\(E.escape(text))</p><p><a href=\"\(E.escape(back))\">Back</a></p>")
    }

    // MARK: Report

    static func reportForm(_ actor: Actor, csrf: String, values: [String: String] = [:], errors: [String] = []) -> String {
        func v(_ k: String) -> String { E.escape(values[k] ?? "") }
        let options = ReportCategory.allCases.map { c in
            "<option value=\"\(c.rawValue)\"\(values["category"] == c.rawValue ? " selected" : "")>\(E.escape(c.rawValue)) — \(E.escape(c.explanation))</option>"
        }.joined()
        return page("Report a post", actor, """
            <h1>Report a post</h1>
            <p>Seen a post that leaks something, exposes someone, targets a colleague or is spreading the wrong way? Tell us here.
            The post's author is never told who reported it.</p>
            \(errors.isEmpty ? "" : "<div class=\"error\" role=\"alert\"><p>Please fix \(errors.count == 1 ? "this" : "these \(errors.count) things") and send again:</p><ul>" + errors.map { "<li>\(E.escape($0))</li>" }.joined() + "</ul></div>")
            <form method="post" action="/report" enctype="multipart/form-data">
            <input type="hidden" name="csrf" value="\(E.escape(csrf))">
            <input type="hidden" name="submission" value="\(E.escape(values["submission"] ?? WebSessions.randomToken()))">
            <label for="url">The post's address</label>
            <input id="url" name="url" type="url" required placeholder="https://x.com/someone/status/123" value="\(v("url"))">
            <label for="category">What is wrong</label>
            <select id="category" name="category"><option value="">Not sure</option>\(options)</select>
            <label for="text">What the post says (the part that matters)</label>
            <textarea id="text" name="text" rows="4">\(v("text"))</textarea>
            <label for="note">Anything the responders should know</label>
            <textarea id="note" name="note" rows="3">\(v("note"))</textarea>
            <label for="author">The post's author, as shown</label>
            <input id="author" name="author" value="\(v("author"))">
            <label for="views">Views, if shown</label><input id="views" name="views" inputmode="numeric" value="\(v("views"))">
            <label for="shares">Shares or reposts, if shown</label><input id="shares" name="shares" inputmode="numeric" value="\(v("shares"))">
            <label for="evidence">Screenshots (posts get deleted: a picture keeps what it said)</label>
            <input id="evidence" name="evidence" type="file" multiple accept="image/*,application/pdf,.mhtml,.html">
            <p><button class="primary" type="submit">Send report</button></p>
            </form>
            """)
    }

    static func reportDone(_ actor: Actor, result: JSONValue) -> String {
        let inc = E.escape(result["incident"]?.stringValue ?? "?")
        let report = E.escape(result["report"]?.stringValue ?? "Your report")
        let what = result["opened"]?.boolValue == true
            ? "opened <strong id=\"incident\">\(inc)</strong>: \(E.escape(result["playbook_title"]?.stringValue ?? "")) (severity \(E.escape(result["severity"]?.stringValue ?? "")))."
            : "was added to <strong id=\"incident\">\(inc)</strong>, which is already being handled."
        return page("Thank you", actor, """
            <h1>Thank you</h1><p class="notice">\(report) \(what)</p>
            <p>Quote \(inc) if anyone asks about it. <a href="/incidents/\(inc)">Follow it</a> · <a href="/report">Report another post</a></p>
            """)
    }

    // MARK: Board

    static func board(_ actor: Actor, csrf: String, incidents: [JSONValue], onCall: [JSONValue] = [], now: Timestamp, flash: String?) -> String {
        var rows: [(due: String, html: String)] = []
        var unacknowledged = ""
        for inc in incidents {
            let id = inc["id"]?.stringValue ?? ""
            if inc["status"] == "open" && actor.access >= .responder {
                unacknowledged += "<tr><td><a href=\"/incidents/\(E.escape(id))\">\(E.escape(id))</a></td><td>\(E.escape(inc["title"]?.stringValue ?? ""))</td>"
                    + "<td>\(time(inc["ack_due"]))</td><td>\(action(id, nil, "ack", "Acknowledge", csrf))</td></tr>"
            }
            for s in inc["steps"]?.arrayValue ?? [] where s["owner"]?.stringValue == actor.id {
                let status = s["status"]?.stringValue ?? ""
                guard status == "ready" || status == "acknowledged" else { continue }
                let step = s["id"]?.stringValue ?? ""
                let due = s["due"]?.stringValue ?? ""
                let dueAt = Timestamp(rfc3339: due) ?? now
                let minutes = (dueAt.millisecondsSinceEpoch - now.millisecondsSinceEpoch) / 60_000
                let cls = minutes < 0 ? "late" : (minutes < 60 ? "due-soon" : "")
                let label = (minutes < 0 ? "overdue, " : (minutes < 60 ? "due soon, " : "")) + dueAt.relative(to: now)
                var actions = status == "ready" ? action(id, step, "ack", "Acknowledge", csrf) + " " : ""
                actions += action(id, step, "done", "Done", csrf, field: ("note", "note (optional)", false))
                actions += " " + action(id, step, "skip", "Skip", csrf, field: ("reason", "why (required)", true))
                rows.append((due, "<tr class=\"step\" data-incident=\"\(E.escape(id))\" data-step=\"\(E.escape(step))\"><td><a href=\"/incidents/\(E.escape(id))\">\(E.escape(id))</a></td>"
                    + "<td>\(E.escape(s["title"]?.stringValue ?? ""))</td><td class=\"\(cls)\"><time datetime=\"\(E.escape(due))\">\(E.escape(label))</time><br><small>\(time(s["due"]))</small></td><td>\(E.escape(status))</td><td>\(actions)</td></tr>"))
            }
        }
        var body = "<h1>Board</h1>"
        if let flash { body += "<p class=\"notice\" role=\"status\">\(E.escape(flash))</p>" }
        if actor.access >= .responder {
            body += "<h2>My open steps</h2>"
            body += rows.isEmpty ? "<p id=\"no-steps\">Nothing is waiting for you.</p>"
                : "<table id=\"my-steps\"><tr><th>Incident</th><th>Step</th><th>Due</th><th>Status</th><th></th></tr>" + rows.sorted { $0.due < $1.due }.map(\.html).joined() + "</table>"
            if !unacknowledged.isEmpty {
                body += "<h2>Not yet acknowledged</h2><table id=\"unacknowledged\"><tr><th>Incident</th><th></th><th>Acknowledge by</th><th></th></tr>\(unacknowledged)</table>"
            }
        }
        body += "<h2>\(actor.access >= .responder ? "My incidents" : "My reports")</h2>"
        body += incidents.isEmpty ? "<p>None open.</p>" : "<table id=\"incidents\"><tr><th>Incident</th><th>Status</th><th>Severity</th><th>Age</th><th>Post</th></tr>" + incidents.map { inc in
            let id = E.escape(inc["id"]?.stringValue ?? "")
            return "<tr><td><a href=\"/incidents/\(id)\">\(id)</a> \(E.escape(inc["title"]?.stringValue ?? ""))</td><td>\(E.escape(inc["status"]?.stringValue ?? ""))</td>"
                + "<td>\(E.escape(inc["severity"]?.stringValue ?? ""))</td><td>\(E.escape(Timestamp(rfc3339: inc["opened_at"]?.stringValue ?? "").map { max(now - $0, .zero).words } ?? ""))</td><td>\(E.escape(inc["url"]?.stringValue ?? ""))</td></tr>"
        }.joined() + "</table>"
        if !onCall.isEmpty {
            body += "<h2>On call now</h2><table id=\"oncall\"><tr><th>Role</th><th>Now</th><th>Next</th></tr>" + onCall.map { r in
                var now = E.escape(r["name"]?.stringValue ?? r["holder"]?.stringValue ?? "nobody")
                if let o = r["override"] {
                    now += " <span class=\"override\">override until \(time(o["until"]))\(o["reason"]?.stringValue.map { ": " + E.escape($0) } ?? "")</span>"
                }
                let next = r["next_at"].map { "\(E.escape(r["next_holder"]?.stringValue ?? "nobody")) from \(time($0))" } ?? "—"
                return "<tr><td>\(E.escape(r["title"]?.stringValue ?? ""))</td><td>\(now)</td><td>\(next)</td></tr>"
            }.joined() + "</table>"
        }
        return page("Board", actor, body, refresh: 60)
    }

    static func action(_ incident: String, _ step: String?, _ verb: String, _ label: String, _ csrf: String,
                       field: (name: String, placeholder: String, required: Bool)? = nil) -> String {
        let path = "/incidents/\(E.escape(incident))" + (step.map { "/steps/\(E.escape($0))" } ?? "") + "/\(verb)"
        var f = "<form class=\"inline\" method=\"post\" action=\"\(path)\"><input type=\"hidden\" name=\"csrf\" value=\"\(E.escape(csrf))\">"
        if let field {
            f += "<input name=\"\(field.name)\" placeholder=\"\(E.escape(field.placeholder))\" style=\"width:10em\"\(field.required ? " required" : "")> "
        }
        return f + "<button type=\"submit\" name=\"do\" value=\"\(verb)\">\(E.escape(label))</button></form>"
    }

    // MARK: Incident

    static func incident(_ actor: Actor, view v: JSONValue, postmortem: JSONValue?, csrf: String) -> String {
        let id = v["id"]?.stringValue ?? ""
        var b = "<h1 id=\"title\">\(E.escape(id)) — \(E.escape(v["title"]?.stringValue ?? ""))</h1><table class=\"facts\">"
        for (label, key) in [("Status", "status"), ("Severity", "severity"), ("Post", "url"), ("Opened", "opened_at"), ("Acknowledge by", "ack_due"),
                             ("Acknowledged", "acknowledged_at"), ("Resolved", "resolved_at"), ("Summary", "summary")] where v[key] != nil {
            let value = key.hasSuffix("_at") || key == "ack_due" ? time(v[key]) : E.escape(v[key]?.stringValue ?? "")
            b += "<tr><th>\(label)</th><td id=\"\(key)\">\(value)</td></tr>"
        }
        let reports = v["reports"]?.intValue ?? 0, people = v["reporters"]?.intValue ?? 0
        b += "<tr><th>Reports</th><td>\(reports) \(reports == 1 ? "report" : "reports") from \(people) \(people == 1 ? "person" : "people")</td></tr></table>"
        b += reportList(v)
        b += "<h2>Steps</h2><table id=\"steps\"><tr><th>Step</th><th>Owner</th><th>Due</th><th>Status</th></tr>"
        for s in v["steps"]?.arrayValue ?? [] {
            let late = s["overdue"]?.boolValue == true ? " <span class=\"late\">overdue</span>" : ""
            b += "<tr><td>\(E.escape(s["title"]?.stringValue ?? "")) <small><code>\(E.escape(s["id"]?.stringValue ?? ""))</code></small></td><td>\(E.escape(s["owner"]?.stringValue ?? "—"))</td><td>\(time(s["due"]))\(late)</td><td>\(E.escape(s["status"]?.stringValue ?? ""))</td></tr>"
        }
        b += "</table>"
        if let p = postmortem {
            b += "<h2>Timeline</h2><ol class=\"timeline\" id=\"timeline\">"
            for t in p["timeline"]?.arrayValue ?? [] {
                b += "<li>\(time(t["time"])) <b>\(E.escape(t["actor"]?.stringValue ?? ""))</b> \(E.escape(t["text"]?.stringValue ?? ""))</li>"
            }
            b += "</ol><p><a href=\"/incidents/\(E.escape(id))/postmortem\">Post-mortem (printable)</a></p>"
            if actor.access >= .responder && (v["status"] == "open" || v["status"] == "acknowledged") {
                b += "<h2>Act</h2>" + (v["status"] == "open" ? action(id, nil, "ack", "Acknowledge the incident", csrf) : "")
                b += "<form method=\"post\" action=\"/incidents/\(E.escape(id))/note\"><input type=\"hidden\" name=\"csrf\" value=\"\(E.escape(csrf))\"><label for=\"note\">Add a note</label><textarea id=\"note\" name=\"text\" rows=\"2\" required></textarea><button type=\"submit\">Add note</button></form>"
                let open = (v["steps"]?.arrayValue ?? []).filter { ["waiting", "ready", "acknowledged"].contains($0["status"]?.stringValue ?? "") }
                b += "<form method=\"post\" action=\"/incidents/\(E.escape(id))/resolve\" id=\"resolve\"><input type=\"hidden\" name=\"csrf\" value=\"\(E.escape(csrf))\">"
                    + "<label for=\"summary\">Resolve: what was done (it opens the post-mortem)</label><textarea id=\"summary\" name=\"summary\" rows=\"2\" required></textarea>"
                    + (open.isEmpty ? "" : "<label><input type=\"checkbox\" name=\"abandon_open_steps\"> Abandon the \(open.count) open \(open.count == 1 ? "step" : "steps") (\(open.compactMap { $0["id"]?.stringValue }.map(E.escape).joined(separator: ", "))): the post-mortem lists \(open.count == 1 ? "it" : "them") as abandoned</label>")
                    + "<button type=\"submit\">Resolve</button></form>"
            }
        }
        b += "<p class=\"hint\">This page refreshes every 15 seconds.</p>"
        return page(id, actor, b, refresh: 15)
    }

    /// Every report as the viewer may see it: what the reporter said and saw, newest last.
    static func reportList(_ v: JSONValue) -> String {
        let list = v["report_list"]?.arrayValue ?? []
        guard !list.isEmpty else { return "" }
        var b = "<h2>What was reported</h2><ol id=\"reports\" class=\"reports\">"
        for r in list {
            var head = time(r["time"])
            if let who = r["reporter"]?.stringValue { head += " by <b>\(E.escape(who))</b>" }
            if let c = r["category"]?.stringValue { head += ", \(E.escape(c))" }
            let reach = [r["views"]?.intValue.map { "\($0) views" }, r["shares"]?.intValue.map { "\($0) shares" }].compactMap { $0 }
            if !reach.isEmpty { head += ", " + reach.joined(separator: ", ") }
            b += "<li class=\"report\">\(head)"
            if let note = r["note"]?.stringValue { b += "<p class=\"note\">\(E.escape(note))</p>" }
            if let text = r["text"]?.stringValue { b += "<blockquote class=\"post-text\">\(E.escape(text))</blockquote>" }
            for e in r["evidence"]?.arrayValue ?? [] {
                b += "<p class=\"evidence\">Evidence: \(E.escape(e["name"]?.stringValue ?? "")) (\(E.escape(e["type"]?.stringValue ?? "?")), \(e["size"]?.intValue ?? 0) bytes, sha256 <code>\(E.escape(String((e["sha256"]?.stringValue ?? "").prefix(12))))</code>)</p>"
            }
            b += "</li>"
        }
        let notes = v["notes"]?.arrayValue ?? []
        b += "</ol>"
        if !notes.isEmpty {
            b += "<h2>Notes</h2><ul id=\"notes\">" + notes.map { n in
                "<li>\(time(n["time"])) <b>\(E.escape(n["by"]?.stringValue ?? ""))</b>: \(E.escape(n["text"]?.stringValue ?? ""))</li>"
            }.joined() + "</ul>"
        }
        return b
    }

    // MARK: One-tap links

    /// What a notification's link is for, and the button that does it (nothing happens until it is pressed).
    static func actConfirm(claim: ActionLinks.Claim, incident inc: IncidentState, roster: Roster, token: String, now: Timestamp) -> String {
        let name = roster.people[claim.person]?.name ?? claim.person
        var b = "<h1>\(E.escape(inc.id)) — \(E.escape(inc.plan.title))</h1>"
        b += "<p>For <b>\(E.escape(name))</b>. Post: \(E.escape(inc.canonicalURL))</p>"
        let action = "/act/" + E.escape(token)
        if let step = claim.step, let i = inc.stepIndex(step) {
            let s = inc.steps[i]
            b += "<p id=\"what\">Step: <b>\(E.escape(inc.plan.steps[i].title))</b> <code>\(E.escape(step))</code>, due <time datetime=\"\(s.due.rfc3339)\">\(s.due.readable)</time> (\(s.due.relative(to: now))), \(E.escape(s.status.rawValue))</p>"
            guard s.isOpen else {
                return page("Already \(s.status.rawValue)", nil, b + "<p class=\"notice\" role=\"status\">This step is \(E.escape(s.status.rawValue)) already\(s.owner.map { " (by \(E.escape($0)))" } ?? ""); there is nothing to do.</p>")
            }
            if s.status == .ready {
                b += "<form method=\"post\" action=\"\(action)\"><button class=\"primary\" type=\"submit\" name=\"do\" value=\"ack\">Acknowledge: I am on it</button></form>"
            }
            b += "<form method=\"post\" action=\"\(action)\"><label for=\"note\">What was done (optional, for the post-mortem)</label><textarea id=\"note\" name=\"note\" rows=\"2\"></textarea>"
                + "<button type=\"submit\" name=\"do\" value=\"done\">Mark done</button></form>"
        } else {
            guard inc.status == .open else {
                return page("Already acknowledged", nil, b + "<p class=\"notice\" role=\"status\">\(E.escape(inc.id)) is \(E.escape(inc.status.rawValue)) already; there is nothing to do.</p>")
            }
            b += "<p id=\"what\">Not yet acknowledged; due <time datetime=\"\(inc.ackDue.rfc3339)\">\(inc.ackDue.readable)</time> (\(inc.ackDue.relative(to: now))).</p>"
            b += "<form method=\"post\" action=\"\(action)\"><button class=\"primary\" type=\"submit\" name=\"do\" value=\"ack\">Acknowledge the incident</button></form>"
        }
        b += "<p class=\"hint\">This link works once and only for you. Nothing happens until you press a button.</p>"
        return page("Act on \(inc.id)", nil, b)
    }

    static func actDone(claim: ActionLinks.Claim, verb: String, incident inc: IncidentState, nextToken: String?) -> String {
        let what = claim.step.map { "step \($0)" } ?? "the incident"
        var b = "<h1>\(E.escape(inc.id)) — \(E.escape(inc.plan.title))</h1><p class=\"notice\" role=\"status\" id=\"result\">\(verb == "ack" ? "Acknowledged" : "Marked done"): \(E.escape(what)). Thank you.</p>"
        if let nextToken {
            b += "<form method=\"post\" action=\"/act/\(E.escape(nextToken))\"><label for=\"note\">When it is done: what was done (optional)</label><textarea id=\"note\" name=\"note\" rows=\"2\"></textarea>"
                + "<button type=\"submit\" name=\"do\" value=\"done\">Mark done</button></form>"
        }
        b += "<p><a href=\"/incidents/\(E.escape(inc.id))\">The incident</a> (signed in)</p>"
        return page("Done", nil, b)
    }

    // MARK: Review

    static func review(_ actor: Actor, metrics m: JSONValue, resolved: [JSONValue]) -> String {
        func minutes(_ v: JSONValue?) -> Double { Double(v?.intValue ?? 0) / 60_000 }
        let ackRows = (m["time_to_acknowledge_by_playbook"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { (k, v) in
            (label: k, value: minutes(v["median_ms"]), text: TimeSpan(milliseconds: v["median_ms"]?.intValue ?? 0).words + " (n=\(v["count"]?.intValue ?? 0))")
        }
        let adherence = (m["deadline_adherence"]?["person"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { (k, v) in
            (label: k, value: (v["rate"]?.doubleValue ?? 0) * 100, text: "\(Int(((v["rate"]?.doubleValue ?? 0) * 100).rounded()))% of \((v["on_time"]?.intValue ?? 0) + (v["late"]?.intValue ?? 0))")
        }
        let weekly = (m["incidents_per_week"]?.arrayValue ?? []).map { w in
            let total = (w["categories"]?.objectValue ?? [:]).values.reduce(0) { $0 + ($1.intValue ?? 0) }
            return (label: w["week"]?.stringValue ?? "", value: Double(total), text: "\(total)")
        }
        func d(_ v: JSONValue?) -> String { v?.intValue.map { TimeSpan(milliseconds: $0).words } ?? "—" }
        var b = "<h1>Review</h1><form method=\"get\" action=\"/review\"><label for=\"since\">Since</label><input id=\"since\" name=\"since\" type=\"date\"><label for=\"until\">Until</label><input id=\"until\" name=\"until\" type=\"date\"><p><button type=\"submit\">Show</button></p></form>"
        b += "<table id=\"summary\"><tr><th>Incidents</th><td>\(m["incidents"]?.intValue ?? 0)</td></tr>"
        b += "<tr><th>Time to acknowledge</th><td>median \(d(m["time_to_acknowledge"]?["median_ms"])), p90 \(d(m["time_to_acknowledge"]?["p90_ms"]))</td></tr>"
        b += "<tr><th>Time to resolve</th><td>median \(d(m["time_to_resolve"]?["median_ms"])), p90 \(d(m["time_to_resolve"]?["p90_ms"]))</td></tr>"
        b += "<tr><th>Overdue steps now</th><td>\(m["overdue_steps"]?.arrayValue?.count ?? 0)</td></tr></table>"
        b += "<figure>" + SVGChart.bars(ackRows, title: "Median time to acknowledge, by playbook (minutes)") + "</figure>"
        b += "<figure>" + SVGChart.bars(adherence, title: "Deadlines met, by person (%)") + "</figure>"
        b += "<figure>" + SVGChart.bars(weekly, title: "Incidents per week") + "</figure>"
        b += "<h2>Post-mortems</h2><ul id=\"postmortems\">"
        for inc in resolved {
            let id = E.escape(inc["id"]?.stringValue ?? "")
            b += "<li><a href=\"/incidents/\(id)/postmortem\">\(id)</a> \(E.escape(inc["title"]?.stringValue ?? "")) — \(E.escape(inc["status"]?.stringValue ?? ""))</li>"
        }
        b += "</ul><p><a id=\"all-postmortems\" href=\"/incidents?status=resolved,closed\">Every resolved and closed incident</a></p>"
        return page("Review", actor, b)
    }
}
