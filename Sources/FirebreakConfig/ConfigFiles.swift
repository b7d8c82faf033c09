import FirebreakCore
import Foundation

/// Reads playbooks and the roster from disk: the only part of configuration that does I/O. Parsing and checking
/// live in the core; this finds the files and reads them.
public enum ConfigFiles {
    public struct Loaded: Sendable {
        public var playbooks: PlaybookSet
        public var roster: Roster?
        /// Every problem found, errors and warnings, in file order.
        public var diagnostics: [Diagnostic]
        public var hasErrors: Bool { diagnostics.contains { $0.level == .error } }
    }

    /// Playbook files in `directory`: `*.yaml` and `*.yml`, except `roster*.yaml` (the example roster lives
    /// beside the playbooks in the repository).
    public static func playbookFiles(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("roster") && !$0.hasPrefix(".") }
            .sorted()
            .map { directory + "/" + $0 }
    }

    /// Loads and checks everything: each file on its own, then the set together (and against the roster).
    public static func load(playbooks directory: String, roster rosterPath: String?) -> Loaded {
        var diagnostics: [Diagnostic] = []
        var roster: Roster?
        if let rosterPath {
            do {
                let text = try String(contentsOfFile: rosterPath, encoding: .utf8)
                let (r, d) = RosterParser.parse(text, file: rosterPath)
                roster = r
                diagnostics += d
            } catch {
                diagnostics.append(Diagnostic(file: rosterPath, "cannot read the roster: \(error.localizedDescription)"))
            }
        }
        var playbooks: [Playbook] = []
        let files: [String]
        do {
            files = try playbookFiles(in: directory)
        } catch {
            diagnostics.append(Diagnostic(file: directory, "cannot read the playbook directory: \(error.localizedDescription)"))
            return Loaded(playbooks: PlaybookSet([]), roster: roster, diagnostics: diagnostics)
        }
        if files.isEmpty { diagnostics.append(Diagnostic(file: directory, "no playbooks (*.yaml) here")) }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(Diagnostic(file: file, "cannot read the file as UTF-8 text"))
                continue
            }
            let (p, d) = PlaybookParser.parse(text, file: file, roster: roster)
            diagnostics += d
            if let p { playbooks.append(p) }
        }
        let set = PlaybookSet(playbooks)
        diagnostics += set.validate()
        return Loaded(playbooks: set, roster: roster, diagnostics: diagnostics)
    }
}
