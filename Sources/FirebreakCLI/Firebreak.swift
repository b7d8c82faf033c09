import ArgumentParser

/// `firebreak`: the command line for employees, responders, managers and operators.
public struct Firebreak: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "firebreak",
        abstract: "Report problem social-media posts and work Firebreak incidents.",
        discussion: """
            Exit codes: 0 success; 1 refused (a damaged or unsigned journal, a command the daemon refused); 2 a file \
            or the daemon could not be read or written; 3 the daemon is not running; 64 a usage error.
            """,
        subcommands: [
            ReportCommand.self, ReportsCommand.self, IncidentsCommand.self, OnCallCommand.self, OverrideCommand.self, ShowCommand.self, AckCommand.self, DoneCommand.self, SkipCommand.self,
            AssignCommand.self, EscalateCommand.self, ResolveCommand.self, NoteCommand.self, CloseCommand.self, ReopenCommand.self,
            EvidenceCommand.self, PostmortemCommand.self, MetricsCommand.self, WebLoginCommand.self, WhoamiCommand.self, ValidateCommand.self, JournalCommand.self,
        ]
    )

    public init() {}
}

/// Where the journal lives when no path is given: `$FIREBREAK_STATE_DIR/journal`, else the packaged default.
func defaultJournalPath() -> String {
    if let state = ProcessEnvironment.value("FIREBREAK_STATE_DIR"), !state.isEmpty { return state + "/journal" }
    return "/var/lib/firebreak/journal"
}
