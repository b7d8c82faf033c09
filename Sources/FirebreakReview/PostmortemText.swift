import FirebreakCore

/// The post-mortem as Markdown (for a review document) and as a printable HTML page. Both come from the JSON
/// model, so the three formats never disagree.
public enum PostmortemText {
    public static func markdown(_ p: JSONValue) -> String {
        var out: [String] = []
        func s(_ v: JSONValue?) -> String { v?.stringValue ?? v.map { $0 == .null ? "—" : $0.jsonText } ?? "—" }
        out.append("# Post-mortem: \(s(p["incident"])) — \(s(p["title"]))")
        out.append("")
        out.append("| | |")
        out.append("| --- | --- |")
        for (label, key) in [("Status", "status"), ("Severity", "severity"), ("Playbook", "playbook"), ("Post", "url"), ("Platform", "platform"),
                             ("Category", "category"), ("Opened", "opened_at"), ("Acknowledged", "acknowledged_at"), ("Resolved", "resolved_at"),
                             ("Closed", "closed_at"), ("Follows", "linked_to")] where p[key] != nil {
            out.append("| \(label) | \(cell(s(p[key]))) |")
        }
        if let ms = p["time_to_acknowledge_ms"]?.intValue { out.append("| Time to acknowledge | \(TimeSpan(milliseconds: ms).words) |") }
        if let ms = p["time_to_resolve_ms"]?.intValue { out.append("| Time to resolve | \(TimeSpan(milliseconds: ms).words) |") }
        out.append("")
        if let summary = p["summary"]?.stringValue { out += ["## Summary", "", summary, ""] }
        out += ["## Severity", ""]
        for h in p["severity_history"]?.arrayValue ?? [] {
            out.append("- \(s(h["time"])): \(h["from"].map { "\(s($0)) → " } ?? "")\(s(h["to"])) (\(s(h["reason"])))")
        }
        out += ["", "## Steps", "", "| Step | Owner | Due | Finished | On time | Notes |", "| --- | --- | --- | --- | --- | --- |"]
        for st in p["steps"]?.arrayValue ?? [] {
            let onTime: String
            switch st["on_time"]?.boolValue {
            case true?: onTime = "yes"
            case false?: onTime = "late by \(TimeSpan(milliseconds: st["late_by_ms"]?.intValue ?? 0).words)"
            case nil: onTime = st["abandoned"] == true ? "**abandoned**" : st["status"] == "skipped" ? "skipped" : "—"
            }
            let who = s(st["owner"]) + (st["done_for"].map { " (for \($0.stringValue ?? ""))" } ?? "")
            out.append("| \(cell(s(st["title"]))) (`\(s(st["id"]))`) | \(who) | \(s(st["due"])) | \(s(st["finished_at"])) | \(onTime) | \(cell(st["skipped_reason"]?.stringValue ?? s(st["status"]))) |")
        }
        let abandoned = (p["steps"]?.arrayValue ?? []).filter { $0["abandoned"] == true }.map { "`\(s($0["id"]))`" }
        if !abandoned.isEmpty { out += ["", "Abandoned when the incident was resolved, never done: \(abandoned.joined(separator: ", "))."] }
        out += ["", "## Timeline", ""]
        for t in p["timeline"]?.arrayValue ?? [] {
            out.append("- `\(s(t["time"]))` **\(s(t["actor"]))** — \(cell(s(t["text"]))) _(seq \(s(t["seq"])))_")
        }
        let escalations = p["escalations"]?.arrayValue ?? []
        out += ["", "## Escalations", ""]
        if escalations.isEmpty { out.append("None.") }
        for e in escalations { out.append("- \(s(e["time"])): to \(s(e["to"]))\(e["step"] == .null ? "" : ", step \(s(e["step"]))") — \(s(e["reason"]))") }
        let notifications = p["notifications"]?.arrayValue ?? []
        out += ["", "## Notifications", ""]
        if notifications.isEmpty { out.append("None.") }
        for n in notifications {
            out.append("- \(s(n["time"])): \(s(n["kind"])) to \(s(n["to"])) — \(s(n["status"]))\(n["channel"].map { " by \(s($0))" } ?? "") after \(s(n["attempts"])) attempt(s)")
        }
        out += ["", "## Reports", ""]
        for r in p["reports"]?.arrayValue ?? [] {
            let who = r["reporter"].map { " from \(s($0))" } ?? ""
            out.append("- \(s(r["time"])): \(s(r["report"]))\(who)\(r["text"].map { ": “\(cell(s($0)))”" } ?? "")\(r["note"].map { " — note: \(cell(s($0)))" } ?? "")")
            for e in r["evidence"]?.arrayValue ?? [] { out.append("  - evidence \(s(e["name"])) (\(s(e["type"])), \(s(e["size"])) bytes, sha256 `\(s(e["sha256"]))`)") }
        }
        out += ["", "## Notes", ""]
        let notes = p["notes"]?.arrayValue ?? []
        if notes.isEmpty { out.append("None.") }
        for n in notes { out.append("- \(s(n["time"])) **\(s(n["by"]))**: \(cell(s(n["text"])))") }
        if let proof = p["proof"] {
            out += ["", "## Journal proof", "",
                    "Records \(s(proof["first_seq"]))…\(s(proof["last_seq"])) (\(s(proof["records"])) about this incident).",
                    "First hash `\(s(proof["first_hash"]))`, last hash `\(s(proof["last_hash"]))`."]
            if let c = proof["checkpoint"], c != .null {
                out.append("Sealed by the signed checkpoint at seq \(s(c["seq"])) (covers up to seq \(s(c["covers_seq"])), key \(s(c["key_id"]))).")
            } else {
                out.append("Not yet sealed by a signed checkpoint.")
            }
            let journal = p["verify"]?["journal"]?.stringValue ?? "/var/lib/firebreak/journal"
            let key = p["verify"]?["key"]?.stringValue.map { " --key \($0)" } ?? ""
            out.append("Check: `firebreak journal verify \(journal)\(key)`, then `firebreak journal show \(journal) --incident \(s(p["incident"]))`.")
        }
        out += ["", "_Generated \(s(p["generated_at"])) for \(s(p["viewer"]))._", ""]
        return out.joined(separator: "\n")
    }

    /// A printable page (no scripts, one inline style sheet).
    public static func html(_ p: JSONValue) -> String {
        func s(_ v: JSONValue?) -> String { HTML.escape(v?.stringValue ?? v.map { $0 == .null ? "—" : $0.jsonText } ?? "—") }
        var b = ""
        b += "<section class=\"postmortem\"><h1>Post-mortem: \(s(p["incident"])) — \(s(p["title"]))</h1><table class=\"facts\">"
        for (label, key) in [("Status", "status"), ("Severity", "severity"), ("Playbook", "playbook"), ("Post", "url"), ("Opened", "opened_at"),
                             ("Acknowledged", "acknowledged_at"), ("Resolved", "resolved_at"), ("Closed", "closed_at")] where p[key] != nil {
            b += "<tr><th>\(label)</th><td>\(s(p[key]))</td></tr>"
        }
        if let ms = p["time_to_acknowledge_ms"]?.intValue { b += "<tr><th>Time to acknowledge</th><td>\(TimeSpan(milliseconds: ms).words)</td></tr>" }
        if let ms = p["time_to_resolve_ms"]?.intValue { b += "<tr><th>Time to resolve</th><td>\(TimeSpan(milliseconds: ms).words)</td></tr>" }
        b += "</table>"
        if p["summary"] != nil { b += "<h2>Summary</h2><p>\(s(p["summary"]))</p>" }
        b += "<h2>Steps</h2><table class=\"steps\"><tr><th>Step</th><th>Owner</th><th>Due</th><th>Finished</th><th>On time</th></tr>"
        for st in p["steps"]?.arrayValue ?? [] {
            let onTime: String
            switch st["on_time"]?.boolValue {
            case true?: onTime = "<span class=\"ok\">yes</span>"
            case false?: onTime = "<span class=\"late\">late by \(TimeSpan(milliseconds: st["late_by_ms"]?.intValue ?? 0).words)</span>"
            case nil: onTime = st["abandoned"] == true ? "<span class=\"late\">abandoned</span>" : st["status"] == "skipped" ? "skipped: \(s(st["skipped_reason"]))" : s(st["status"])
            }
            b += "<tr><td>\(s(st["title"]))</td><td>\(s(st["owner"]))</td><td>\(s(st["due"]))</td><td>\(s(st["finished_at"]))</td><td>\(onTime)</td></tr>"
        }
        b += "</table><h2>Timeline</h2><ol class=\"timeline\">"
        for t in p["timeline"]?.arrayValue ?? [] {
            b += "<li data-seq=\"\(s(t["seq"]))\"><time>\(s(t["time"]))</time> <b>\(s(t["actor"]))</b> \(s(t["text"]))</li>"
        }
        b += "</ol><h2>Escalations and notifications</h2><ul>"
        for e in p["escalations"]?.arrayValue ?? [] { b += "<li>\(s(e["time"])): escalated to \(s(e["to"])) — \(s(e["reason"]))</li>" }
        for n in p["notifications"]?.arrayValue ?? [] { b += "<li>\(s(n["time"])): \(s(n["kind"])) to \(s(n["to"])) — \(s(n["status"]))</li>" }
        b += "</ul><h2>Reports</h2><ul>"
        for r in p["reports"]?.arrayValue ?? [] {
            b += "<li>\(s(r["time"])): \(s(r["report"]))\(r["reporter"].map { " from " + s($0) } ?? "")\(r["text"].map { ": “" + s($0) + "”" } ?? "")</li>"
        }
        b += "</ul><h2>Notes</h2><ul>"
        for n in p["notes"]?.arrayValue ?? [] { b += "<li>\(s(n["time"])) <b>\(s(n["by"]))</b>: \(s(n["text"]))</li>" }
        b += "</ul>"
        if let proof = p["proof"] {
            b += "<h2>Journal proof</h2><p>Records \(s(proof["first_seq"]))…\(s(proof["last_seq"])); first hash <code>\(s(proof["first_hash"]))</code>, last hash <code>\(s(proof["last_hash"]))</code>. "
            if let c = proof["checkpoint"], c != .null {
                b += "Sealed by the signed checkpoint at seq \(s(c["seq"])) (key \(s(c["key_id"]))).</p>"
            } else {
                b += "Not yet sealed by a signed checkpoint.</p>"
            }
        }
        b += "<p class=\"generated\">Generated \(s(p["generated_at"])) for \(s(p["viewer"])).</p></section>"
        return b
    }

    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
}

public enum HTML {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
