import ArgumentParser
import FirebreakCore
import FirebreakProtocol

struct IncidentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "List incidents you can see: responders and managers all, reporters their own."
    )
    @Flag(help: "Only incidents with an open step of mine (or, for reporters, that I reported).") var mine = false
    @Flag(help: "Only open or acknowledged incidents.") var open = false
    @Flag(help: "Only incidents with an open step past its deadline.") var overdue = false
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let list = try daemon.call(.incidents(IncidentFilter(mine: mine, open: open, overdue: overdue)))
        if daemon.json { print(list.jsonText); return }
        let rows = list.arrayValue ?? []
        if rows.isEmpty { print("no incidents"); return }
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
    }
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
