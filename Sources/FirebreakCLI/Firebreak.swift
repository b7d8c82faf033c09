import ArgumentParser

/// `firebreak`: the command line for employees, responders, managers and operators.
public struct Firebreak: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "firebreak",
        abstract: "Report problem social-media posts and work Firebreak incidents.",
        discussion: """
            Exit codes: 0 success; 1 the check failed (a damaged or unsigned journal); 2 a file could not be \
            read or written; 64 a usage error.
            """,
        subcommands: [ValidateCommand.self, JournalCommand.self]
    )

    public init() {}
}

/// Where the journal lives when no path is given: `$FIREBREAK_STATE_DIR/journal`, else the packaged default.
func defaultJournalPath() -> String {
    if let state = ProcessEnvironment.value("FIREBREAK_STATE_DIR"), !state.isEmpty { return state + "/journal" }
    return "/var/lib/firebreak/journal"
}
