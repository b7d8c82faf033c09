import ArgumentParser
import FirebreakCore

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
        let list = try daemon.call("incidents", ["mine": .bool(mine), "open": .bool(open), "overdue": .bool(overdue)])
        if daemon.json { print(list.jsonText); return }
        let rows = list.arrayValue ?? []
        if rows.isEmpty { print("no incidents"); return }
        print(pad("ID", 10) + pad("STATUS", 14) + pad("SEVERITY", 10) + pad("OPEN STEPS", 12) + pad("OPENED", 26) + "PLAYBOOK")
        for r in rows {
            let steps = r["steps"]?.arrayValue ?? []
            let open = steps.filter { ["ready", "acknowledged"].contains($0["status"]?.stringValue ?? "") }.count
            let overdue = steps.filter { $0["overdue"]?.boolValue == true }.count
            let stepText = "\(open)" + (overdue > 0 ? " (\(overdue) late)" : "")
            print(pad(r["id"]?.stringValue ?? "", 10) + pad(r["status"]?.stringValue ?? "", 14) + pad(r["severity"]?.stringValue ?? "", 10)
                  + pad(stepText, 12) + pad(r["opened_at"]?.stringValue ?? "", 26) + (r["playbook"]?.stringValue ?? ""))
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an incident and its steps.")
    @Argument(help: "The incident (INC-n).") var incident: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let r = try daemon.call("show", ["incident": .string(incident)])
        if daemon.json { print(r.jsonText); return }
        print("\(r["id"]?.stringValue ?? "") — \(r["title"]?.stringValue ?? "") [\(r["status"]?.stringValue ?? ""), severity \(r["severity"]?.stringValue ?? "")]")
        print("  post:     \(r["url"]?.stringValue ?? "")")
        print("  opened:   \(r["opened_at"]?.stringValue ?? "")   acknowledge by \(r["ack_due"]?.stringValue ?? "")")
        let people = r["reporters"]?.intValue ?? 0
        print("  reports:  \(r["reports"]?.intValue ?? 0) from \(people) \(people == 1 ? "person" : "people")" + (r["reporter_ids"].map { ": " + ($0.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ") } ?? ""))
        if let s = r["summary"]?.stringValue { print("  summary:  \(s)") }
        if let l = r["linked_to"]?.stringValue { print("  follows:  \(l)") }
        for e in r["evidence"]?.arrayValue ?? [] {
            print("  evidence: \(e["name"]?.stringValue ?? "") (\(e["type"]?.stringValue ?? "?"), \(e["size"]?.intValue ?? 0) bytes)  "
                  + "firebreak evidence \(r["id"]?.stringValue ?? "") \(e["sha256"]?.stringValue ?? "") -o FILE")
        }
        print("  steps:")
        for s in r["steps"]?.arrayValue ?? [] {
            let late = s["overdue"]?.boolValue == true ? "  LATE" : ""
            print("    " + pad(s["id"]?.stringValue ?? "", 24) + pad(s["status"]?.stringValue ?? "", 13) + pad(s["owner"]?.stringValue ?? "-", 10)
                  + "due " + (s["due"]?.stringValue ?? "") + late)
        }
    }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
