import ArgumentParser
import FirebreakCore
import FirebreakProtocol
import Foundation

struct IncidentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "List and find incidents you can see: responders and managers all, reporters their own.",
        discussion: """
            Newest first, a page at a time. Every filter is optional and they combine:
              firebreak incidents linkedin q3 forecast --since 2026-03-01 --until 2026-04-01
              firebreak incidents --status resolved,closed --playbook confidential-information --format csv
            Words are looked for in the title, the post's address, the reports' texts and notes, the responders' \
            notes and the summary (reporters: the title, the address and their own reports).
            """
    )
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Argument(help: "Words to look for (all must appear, in any case).") var words: [String] = []
    @Option(help: "Words to look for, as one argument (the same as giving them as arguments).") var text: String?
    @Flag(help: "Only incidents with an open step of mine (or, for reporters, that I reported).") var mine = false
    @Flag(help: "Only open or acknowledged incidents.") var open = false
    @Flag(help: "Only incidents with an open step past its deadline.") var overdue = false
    @Option(help: "Only these statuses, comma-separated: open, acknowledged, resolved, closed.") var status: String?
    @Option(help: "Only incidents run by this playbook (its key, as `firebreak validate` lists them).") var playbook: String?
    @Option(help: "Only this report category (confidential-information, privacy-breach, harassment, …).") var category: String?
    @Option(help: "Only this severity: low, medium, high or critical.") var severity: String?
    @Option(help: "Only incidents with a step this person owns or owned (their roster id).") var owner: String?
    @Option(help: "Opened at or after this date (2026-03-01) or RFC 3339 time.") var since: String?
    @Option(help: "Opened before this date or time.") var until: String?
    @Option(help: "How many to show (a page).") var limit: Int = 50
    @Option(help: "The next page: incidents older than this one (the command prints it when there are more).", transform: EngineState.canonicalIncidentID) var before: String?
    @Option(help: "The previous page: incidents newer than this one.", transform: EngineState.canonicalIncidentID) var after: String?
    @Option(help: "table, json (an array of the incidents) or csv.") var format: Format = .table
    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be 1 or more") }
        if before != nil && after != nil { throw ValidationError("give --before or --after, not both") }
    }

    /// The words of the search, however they were given.
    var search: String? {
        let all = words + (text.map { [$0] } ?? [])
        return all.isEmpty ? nil : all.joined(separator: " ")
    }

    func run() throws {
        let statuses = status?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        // One more than the page: whether there is a next page is known without a second question.
        var args: [String: JSONValue] = ["mine": .bool(mine), "open": .bool(open), "overdue": .bool(overdue), "limit": .int(Int64(limit + 1))]
        if !statuses.isEmpty { args["status"] = .array(statuses.map { .string($0) }) }
        for (key, value) in [("playbook", playbook), ("category", category), ("severity", severity), ("owner", owner), ("since", since),
                             ("until", until), ("text", search), ("before", before), ("after", after)] {
            if let value { args[key] = .string(value) }
        }
        let operation: ControlOperation
        do throws(ProtocolError) {
            // Read as the daemon reads it, so a typo (a status, a date) is named before anything is sent.
            operation = try ControlOperation(op: "incidents", args: .object(args))
        } catch {
            throw daemon.failed(error)
        }
        let page = IncidentFilter.page(try daemon.call(operation).arrayValue ?? [], size: limit, before: before, after: after)
        let rows = page.rows
        if daemon.json || format == .json { print(JSONValue.array(rows).jsonText); return }
        if format == .csv { print(Self.csv(rows), terminator: ""); return }
        if rows.isEmpty {
            print(before == nil && after == nil ? "no incidents" + (filtered ? " match" : "") : "no more incidents")
            return
        }
        print(pad("ID", 9) + pad("STATUS", 13) + pad("SEVERITY", 9) + pad("AGE", 11) + pad("OPEN STEPS", 12) + pad("TITLE", 34) + "POST")
        for r in rows {
            let steps = r["steps"]?.arrayValue ?? []
            let open = steps.filter { ["ready", "acknowledged"].contains($0["status"]?.stringValue ?? "") }.count
            let overdue = steps.filter { $0["overdue"]?.boolValue == true }.count
            let stepText = "\(open)" + (overdue > 0 ? " (\(overdue) late)" : "")
            print(pad(r["id"]?.stringValue ?? "", 9) + pad(r["status"]?.stringValue ?? "", 13) + pad(r["severity"]?.stringValue ?? "", 9)
                  + pad(age(r["opened_at"]), 11) + pad(stepText, 12) + pad(shorten(r["title"]?.stringValue ?? "", 32), 34)
                  + (r["url"]?.stringValue ?? ""))
        }
        if let older = page.older { print("Older: " + command(paging: "--before", older)) }
        if let newer = page.newer { print("Newer: " + command(paging: "--after", newer)) }
    }

    var filtered: Bool {
        mine || open || overdue || status != nil || playbook != nil || category != nil || severity != nil || owner != nil
            || since != nil || until != nil || search != nil
    }

    /// This command again for another page: the same filters, shell-quoted, so it can be pasted as printed.
    func command(paging: String, _ id: String) -> String {
        var parts = ["firebreak", "incidents"] + words.map(shellQuote)
        func add(_ flag: String, _ value: String?) { if let value { parts += [flag, shellQuote(value)] } }
        add("--text", text)
        if mine { parts.append("--mine") }
        if open { parts.append("--open") }
        if overdue { parts.append("--overdue") }
        add("--status", status)
        add("--playbook", playbook)
        add("--category", category)
        add("--severity", severity)
        add("--owner", owner)
        add("--since", since)
        add("--until", until)
        if limit != 50 { add("--limit", String(limit)) }
        add("--socket", daemon.socket)
        return (parts + [paging, id]).joined(separator: " ")
    }

    static let csvColumns = ["id", "status", "severity", "playbook", "category", "platform", "opened_at", "acknowledged_at", "resolved_at", "open_steps", "title", "url"]

    /// RFC 4180: a header, CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled.
    static func csv(_ rows: [JSONValue]) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = csvColumns.joined(separator: ",") + "\r\n"
        for r in rows {
            let open = (r["steps"]?.arrayValue ?? []).filter { ["ready", "acknowledged"].contains($0["status"]?.stringValue ?? "") }.count
            let values = csvColumns.map { c -> String in
                if c == "open_steps" { return String(open) }
                guard let v = r[c] else { return "" }
                return v.stringValue ?? v.intValue.map(String.init) ?? ""
            }
            out += values.map(field).joined(separator: ",") + "\r\n"
        }
        return out
    }
}

/// A word the shell reads back as itself: left bare when it is safe, else in single quotes.
func shellQuote(_ s: String) -> String {
    let safe = !s.isEmpty && s.unicodeScalars.allSatisfy { c in
        (c.value < 128) && (CharacterSet.alphanumerics.contains(c) || "-_./:,@+=%".unicodeScalars.contains(c))
    }
    return safe ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an incident and its steps.")
    @Argument(help: "The incident (INC-n).", transform: EngineState.canonicalIncidentID) var incident: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let r = try daemon.call(.show(incident: incident))
        if daemon.json { print(r.jsonText); return }
        let id = r["id"]?.stringValue ?? ""
        print("\(id) — \(r["title"]?.stringValue ?? "") [\(r["status"]?.stringValue ?? ""), severity \(r["severity"]?.stringValue ?? "")]")
        print("  post:     \(r["url"]?.stringValue ?? "")")
        print("  opened:   \(localTime(r["opened_at"])) (\(age(r["opened_at"])) ago)"
              + (r["acknowledged_at"].map { "   acknowledged \(localTime($0))" } ?? "   acknowledge by \(localTime(r["ack_due"]))"))
        let count = r["reports"]?.intValue ?? 0, people = r["reporters"]?.intValue ?? 0
        print("  reports:  \(count) \(count == 1 ? "report" : "reports") from \(people) \(people == 1 ? "person" : "people")"
              + (r["reporter_ids"].map { ": " + ($0.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ") } ?? ""))
        if let s = r["summary"]?.stringValue { print("  summary:  \(s)") }
        if let l = r["linked_to"]?.stringValue { print("  follows:  \(l)") }
        for rep in r["report_list"]?.arrayValue ?? [] {
            var head = "  - \(localTime(rep["time"]))"
            if let who = rep["reporter"]?.stringValue { head += " by \(who)" }
            if let c = rep["category"]?.stringValue { head += ", \(c)" }
            let reach = [rep["views"]?.intValue.map { "\($0) views" }, rep["shares"]?.intValue.map { "\($0) shares" }].compactMap { $0 }
            if !reach.isEmpty { head += ", " + reach.joined(separator: ", ") }
            print(head)
            if let note = rep["note"]?.stringValue { print("      note: \(note)") }
            if let text = rep["text"]?.stringValue { print("      post text: “\(text)”") }
        }
        for e in r["evidence"]?.arrayValue ?? [] {
            print("  evidence: \(e["name"]?.stringValue ?? "") (\(e["type"]?.stringValue ?? "?"), \(e["size"]?.intValue ?? 0) bytes)  "
                  + "firebreak evidence \(id) \(e["sha256"]?.stringValue ?? "") -o FILE")
        }
        print("  steps:")
        for s in r["steps"]?.arrayValue ?? [] {
            let late = s["overdue"]?.boolValue == true ? "  LATE" : ""
            print("    " + pad(s["id"]?.stringValue ?? "", 22) + pad(s["status"]?.stringValue ?? "", 13) + pad(s["owner"]?.stringValue ?? "-", 10)
                  + "due " + localTime(s["due"]) + late)
            if let title = s["title"]?.stringValue { print("      " + title) }
        }
        let notes = r["notes"]?.arrayValue ?? []
        if !notes.isEmpty { print("  notes:") }
        for n in notes { print("    \(localTime(n["time"])) \(n["by"]?.stringValue ?? ""): \(n["text"]?.stringValue ?? "")") }
    }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

func shorten(_ s: String, _ width: Int) -> String {
    s.count <= width ? s : String(s.prefix(width - 1)) + "…"
}
