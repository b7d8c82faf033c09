import FirebreakCore
import FirebreakProtocol
import FirebreakReview
import Foundation

/// `/incidents`: find any incident you may see, as `firebreak incidents` does — words, filters, pages of 50 with
/// older and newer links that keep the filters. A GET form, so a search is a link people can send each other.
enum IncidentListPage {
    typealias E = HTML
    static let pageSize = 50
    /// The form's fields, as the query names them.
    static let fields = ["q", "status", "playbook", "category", "severity", "owner", "since", "until"]

    /// The socket operation's arguments for the query (`q` is `text`; `status` may list several, comma-separated),
    /// one more than a page, so whether there are more is known.
    static func arguments(_ query: [String: String]) -> [String: JSONValue] {
        var args: [String: JSONValue] = ["limit": .int(Int64(pageSize + 1))]
        for key in fields + ["before", "after"] {
            guard let v = query[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { continue }
            switch key {
            case "q": args["text"] = .string(v)
            case "status": args["status"] = .array(v.split(separator: ",").map { .string(String($0)) })
            default: args[key] = .string(v)
            }
        }
        return args
    }

    static func html(_ actor: Actor, query: [String: String], result: Result<JSONValue, ProtocolError>) -> String {
        func value(_ k: String) -> String { E.escape(query[k] ?? "") }
        func select(_ name: String, _ label: String, _ options: [(String, String)]) -> String {
            "<label for=\"\(name)\">\(label)</label><select id=\"\(name)\" name=\"\(name)\">" + options.map { v, text in
                "<option value=\"\(E.escape(v))\"\(query[name] == v ? " selected" : "")>\(E.escape(text))</option>"
            }.joined() + "</select>"
        }
        var b = "<h1>Incidents</h1><form method=\"get\" action=\"/incidents\" id=\"find\">"
        b += "<label for=\"q\">Words</label><input id=\"q\" name=\"q\" value=\"\(value("q"))\" placeholder=\"linkedin q3 forecast\">"
        b += "<p><small>Found in the title, the post's address" + (actor.access >= .responder ? ", the reports' texts and notes, the responders' notes and the summary" : " and your own reports") + ". Every word must appear.</small></p>"
        b += select("status", "Status", [("", "any"), ("open,acknowledged", "open or acknowledged"), ("open", "open"), ("acknowledged", "acknowledged"),
                                         ("resolved,closed", "resolved or closed"), ("resolved", "resolved"), ("closed", "closed")])
        b += select("severity", "Severity", [("", "any")] + Severity.allCases.map { ($0.rawValue, $0.rawValue) })
        b += "<label for=\"playbook\">Playbook</label><input id=\"playbook\" name=\"playbook\" value=\"\(value("playbook"))\">"
        b += "<label for=\"category\">Category</label><input id=\"category\" name=\"category\" value=\"\(value("category"))\">"
        b += "<label for=\"owner\">Step owner</label><input id=\"owner\" name=\"owner\" value=\"\(value("owner"))\">"
        b += "<label for=\"since\">Opened from</label><input id=\"since\" name=\"since\" type=\"date\" value=\"\(value("since"))\">"
        b += "<label for=\"until\">Opened before</label><input id=\"until\" name=\"until\" type=\"date\" value=\"\(value("until"))\">"
        b += "<p><button type=\"submit\">Find</button> <a href=\"/incidents\">Clear</a></p></form>"
        let page: IncidentFilter.Page
        switch result {
        case .failure(let e):
            return WebPages.page("Incidents", actor, b + "<p class=\"error\" role=\"alert\">\(E.escape(e.message))</p>")
        case .success(let list):
            page = IncidentFilter.page(list.arrayValue ?? [], size: pageSize, before: query["before"], after: query["after"])
        }
        let rows = page.rows
        let paging = query["before"] != nil || query["after"] != nil
        if rows.isEmpty {
            return WebPages.page("Incidents", actor, b + "<p id=\"none\">\(paging ? "No more incidents." : "No incidents match.")</p>")
        }
        b += "<table id=\"incidents\"><tr><th>Incident</th><th>Status</th><th>Severity</th><th>Opened</th><th>Post</th></tr>" + rows.map { inc in
            let id = E.escape(inc["id"]?.stringValue ?? "")
            return "<tr><td><a href=\"/incidents/\(id)\">\(id)</a> \(E.escape(inc["title"]?.stringValue ?? ""))</td><td>\(E.escape(inc["status"]?.stringValue ?? ""))</td>"
                + "<td>\(E.escape(inc["severity"]?.stringValue ?? ""))</td><td>\(WebPages.time(inc["opened_at"]))</td><td>\(E.escape(inc["url"]?.stringValue ?? ""))</td></tr>"
        }.joined() + "</table>"
        // The same search, another page: the filters kept, the cursor the first or last incident shown.
        func link(_ cursor: String, _ id: String) -> String {
            let kept = fields.compactMap { k in query[k].flatMap { $0.isEmpty ? nil : k + "=" + percentEncoded($0) } }
            return "/incidents?" + (kept + [cursor + "=" + percentEncoded(id)]).joined(separator: "&")
        }
        var nav: [String] = []
        if let newer = page.newer { nav.append("<a rel=\"prev\" id=\"newer\" href=\"\(E.escape(link("after", newer)))\">← Newer</a>") }
        if let older = page.older { nav.append("<a rel=\"next\" id=\"older\" href=\"\(E.escape(link("before", older)))\">Older →</a>") }
        if !nav.isEmpty { b += "<nav class=\"pages\">" + nav.joined(separator: " ") + "</nav>" }
        return WebPages.page("Incidents", actor, b)
    }

    /// The query as a GET form sends it: `+` is a space (which the router's own decoding leaves as `+`), then
    /// %XX. Only the page's own keys are kept.
    static func query(_ raw: String?) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (raw ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            let key = decode(parts[0])
            guard fields.contains(key) || key == "before" || key == "after" else { continue }
            out[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    /// A query value as a URL carries it: RFC 3986's unreserved characters as they are, every other byte %XX.
    static func percentEncoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
