import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import FirebreakConfig
import FirebreakCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the playbooks and the roster, reporting every problem with file, line and column.",
        discussion: """
            Checks each playbook (keys, durations, severities, step ids, `after` references and cycles), the \
            roster (people, roles, rotations, overrides), and both together (unknown roles, duplicate ids, \
            one fallback playbook, two playbooks matching the same reports equally). Exit 0 when there are no \
            errors (warnings are printed), 1 when there are.
            """
    )

    @Option(help: "The playbook directory (default: $FIREBREAK_PLAYBOOKS or /etc/firebreak/playbooks).")
    var playbooks: String?

    @Option(help: "The roster file (default: $FIREBREAK_ROSTER or /etc/firebreak/roster.yaml, when it exists).")
    var roster: String?

    @Flag(help: "Print the diagnostics as a JSON object.")
    var json = false

    func run() throws {
        let dir = playbooks ?? ProcessEnvironment.value("FIREBREAK_PLAYBOOKS") ?? "/etc/firebreak/playbooks"
        var rosterPath = roster ?? ProcessEnvironment.value("FIREBREAK_ROSTER")
        if rosterPath == nil, FileManagerShim.exists("/etc/firebreak/roster.yaml") { rosterPath = "/etc/firebreak/roster.yaml" }
        let loaded = ConfigFiles.load(playbooks: dir, roster: rosterPath)
        let errors = loaded.diagnostics.filter { $0.level == .error }.count
        let warnings = loaded.diagnostics.count - errors
        if json {
            print(JSONValue.object([
                "ok": .bool(errors == 0),
                "playbooks": .array(loaded.playbooks.playbooks.map { .string($0.id) }),
                "roster": rosterPath.map { .string($0) } ?? .null,
                "diagnostics": .array(loaded.diagnostics.map { d in
                    .object(["file": .string(d.file), "line": d.line.map { .int(Int64($0)) } ?? .null,
                             "column": d.column.map { .int(Int64($0)) } ?? .null, "level": .string(d.level.rawValue),
                             "message": .string(d.message)])
                }),
            ]).jsonText)
        } else {
            for d in loaded.diagnostics { print(d) }
            if rosterPath == nil { print("note: no roster given (--roster FILE): step owners were not checked against roles") }
            let ids = loaded.playbooks.playbooks.map(\.id).joined(separator: ", ")
            print("\(errors == 0 ? "ok" : "FAILED"): \(loaded.playbooks.playbooks.count) playbooks (\(ids)), \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        }
        if errors > 0 { throw ExitCode(1) }
    }
}

enum FileManagerShim {
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}
