import ArgumentParser
import FirebreakCore
import FirebreakProtocol

/// The commands responders and managers work incidents with. Each prints what changed, or with --json the
/// daemon's answer; refusals say why and exit 1.
struct AckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge an incident, or one of its steps.")
    @Argument(help: "The incident (INC-n, or just n).", transform: EngineState.canonicalIncidentID) var incident: String
    @Argument(help: "A step id, to acknowledge that step.") var step: String?
    /// Notifications of versions before 0.8.1 printed `ack INC --step STEP`; those messages are still in
    /// people's inboxes, so the form they show keeps working.
    @Option(name: .customLong("step"), help: .hidden) var stepOption: String?
    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        if step != nil && stepOption != nil { throw ValidationError("give the step once: `firebreak ack INC-n STEP`") }
    }

    func run() throws {
        let step = self.step ?? stepOption
        let result = try daemon.call(.ack(incident: incident, step: step))
        let what = "\(result["incident"]?.stringValue ?? incident)\(step.map { " step \($0)" } ?? "")"
        done(result, daemon, result["changed"] == false ? "\(what) was acknowledged already; nothing changed" : "acknowledged \(what)")
    }
}

struct DoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "done", abstract: "Mark a step done, with a note for the post-mortem.")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Argument(help: "The step id.") var step: String
    @Option(help: "What was done.") var note: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call(.done(incident: incident, step: step, note: note))
        done(result, daemon, result["changed"] == false ? "\(incident) step \(step) was done already; nothing changed" : "\(incident) step \(step) done")
    }
}

struct SkipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "skip", abstract: "Skip a step, saying why.")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Argument(help: "The step id.") var step: String
    @Option(help: "Why it is not needed.") var reason: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        done(try daemon.call(.skip(incident: incident, step: step, reason: reason)), daemon, "\(incident) step \(step) skipped")
    }
}

struct AssignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assign", abstract: "Hand a step over to another person.")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Argument(help: "The step id.") var step: String
    @Argument(help: "The person's roster id.") var person: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        done(try daemon.call(.assign(incident: incident, step: step, to: person)), daemon, "\(incident) step \(step) handed to \(person)")
    }
}

struct EscalateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "escalate", abstract: "Escalate an incident (or a step) to the manager now.")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Argument(help: "A step id.") var step: String?
    @Option(help: "Why.") var reason: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        done(try daemon.call(.escalate(incident: incident, step: step, reason: reason)), daemon, "\(incident) escalated")
    }
}

struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Resolve an incident with a summary of what was done.")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Option(help: "What was done: it opens the post-mortem.") var summary: String
    @Flag(help: "Resolve even with steps still open; each is recorded as abandoned and listed in the post-mortem.")
    var abandonOpenSteps = false
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let result = try daemon.call(.resolve(incident: incident, summary: summary, abandonOpenSteps: abandonOpenSteps))
        let abandoned = result["abandoned"]?.arrayValue?.compactMap(\.stringValue) ?? []
        done(result, daemon, "\(incident) resolved" + (abandoned.isEmpty ? "" : "; abandoned: " + abandoned.joined(separator: ", ")))
    }
}

struct CloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Close a resolved incident after its review (managers).")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Option(help: "A note on the review.") var reason: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        done(try daemon.call(.close(incident: incident, reason: reason)), daemon, "\(incident) closed")
    }
}

struct ReopenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reopen", abstract: "Reopen a resolved or closed incident (managers).")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Option(help: "Why.") var reason: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        done(try daemon.call(.reopen(incident: incident, reason: reason)), daemon, "\(incident) reopened")
    }
}

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Add a note to an incident's record.")
    @Argument(help: "The incident.", transform: EngineState.canonicalIncidentID) var incident: String
    @Argument(help: "The note.") var text: String
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        done(try daemon.call(.note(incident: incident, text: text)), daemon, "note added to \(incident)")
    }
}

struct WhoamiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Who the daemon takes you for, and what you may do.")
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let r = try daemon.call(.whoami)
        if daemon.json { print(r.jsonText); return }
        print("\(r["user"]?.stringValue ?? "?") is \(r["name"]?.stringValue ?? r["id"]?.stringValue ?? "?"), a \(r["access"]?.stringValue ?? "?")")
    }
}

/// Prints the outcome of a command: the JSON answer, or a line saying what changed and which steps opened.
func done(_ result: JSONValue, _ daemon: DaemonOptions, _ what: String) {
    if daemon.json { print(result.jsonText); return }
    print(what)
    for step in result["ready_steps"]?.arrayValue ?? [] {
        print("  now ready: \(step["step"]?.stringValue ?? "?") for \(step["owner"]?.stringValue ?? "nobody"), due \(step["due"]?.stringValue ?? "?")")
    }
}
