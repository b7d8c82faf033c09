import Yams

/// Walks a YAML document with the positions of its nodes, collecting every problem instead of stopping at the
/// first, so `firebreak validate` can list them all. Yams parses; this only reads the tree it gives.
struct YAMLReader {
    /// Every scalar is read as text, and the readers below make numbers and booleans of it themselves. Yams'
    /// default resolver compiles seven regular expressions (ICU's regex engine) the first time it is used,
    /// 0.5–0.7 MB of the daemon's idle resident memory, to type scalars that these readers check anyway.
    static let resolver = Resolver.basic

    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    mutating func error(_ node: Node?, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: node?.mark.map { $0.line }, column: node?.mark.map { $0.column }, message))
    }

    mutating func warning(_ node: Node?, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: node?.mark.map { $0.line }, column: node?.mark.map { $0.column }, level: .warning, message))
    }

    /// Parses the text; nil (with a diagnostic) when it is not YAML.
    mutating func compose(_ text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text, YAMLReader.resolver) else {
                error(nil, "the file is empty")
                return nil
            }
            return node
        } catch let e as YamlError {
            diagnostics.append(Self.diagnostic(for: e, file: file))
            return nil
        } catch {
            self.error(nil, "not YAML: \(error)")
            return nil
        }
    }

    static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return Diagnostic(file: file, line: mark.line, column: mark.column, "not YAML: \(problem)")
        default:
            return Diagnostic(file: file, "not YAML: \(error)")
        }
    }

    /// The members of a mapping, checked for unknown and repeated keys.
    mutating func mapping(_ node: Node, what: String, allowed: [String]) -> [String: Node]? {
        guard let m = node.mapping else {
            error(node, "\(what) must be a mapping of keys to values")
            return nil
        }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let key = k.string else { error(k, "keys in \(what) must be text"); continue }
            if !allowed.contains(key) {
                let hint = Self.closest(key, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
                error(k, "unknown key \"\(key)\" in \(what)\(hint); known keys: \(allowed.joined(separator: ", "))")
                continue
            }
            if out[key] != nil { error(k, "\"\(key)\" appears twice in \(what)"); continue }
            out[key] = v
        }
        return out
    }

    mutating func string(_ node: Node?, _ what: String, required: Bool = false, parent: Node? = nil) -> String? {
        guard let node else {
            if required { error(parent, "\(what) is required") }
            return nil
        }
        guard case .scalar(let s) = node, !s.string.isEmpty else {
            error(node, "\(what) must be text")
            return nil
        }
        return s.string
    }

    mutating func strings(_ node: Node?, _ what: String) -> [String] {
        guard let node else { return [] }
        if case .scalar = node, let s = node.string { return [s] }
        guard let seq = node.sequence else {
            error(node, "\(what) must be a list")
            return []
        }
        var out: [String] = []
        for item in seq {
            if let s = string(item, "each entry of \(what)") { out.append(s) }
        }
        return out
    }

    mutating func span(_ node: Node?, _ what: String, required: Bool = false, parent: Node? = nil) -> TimeSpan? {
        guard let text = string(node, what, required: required, parent: parent) else { return nil }
        guard let span = TimeSpan(parsing: text) else {
            error(node, "\(what) \"\(text)\" is not a duration: write 30s, 15m, 2h, 3d, 1h30m or ISO 8601 such as PT15M")
            return nil
        }
        return span
    }

    /// A YAML boolean: a plain (unquoted) true/yes/on or false/no/off, as YAML 1.1 and Yams' default read it.
    static func bool(_ node: Node) -> Bool? {
        guard case .scalar(let s) = node, s.style == .plain else { return nil }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    mutating func int(_ node: Node?, _ what: String, minimum: Int64 = 0) -> Int64? {
        guard let node else { return nil }
        guard let text = node.string, let n = Int64(text.replacingOccurrences(of: "_", with: "")), n >= minimum else {
            error(node, "\(what) must be a whole number of at least \(minimum)")
            return nil
        }
        return n
    }

    mutating func severity(_ node: Node?, _ what: String) -> Severity? {
        guard let text = string(node, what) else { return nil }
        guard let s = Severity(rawValue: text) else {
            error(node, "\(what) \"\(text)\" is not a severity (low, medium, high, critical)")
            return nil
        }
        return s
    }

    /// The allowed key nearest to a typo, when it is close enough to be what was meant.
    static func closest(_ word: String, in options: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(1, a.count) where !a.isEmpty {
                var prev = row[0]
                row[0] = i
                for j in 1...max(1, b.count) where !b.isEmpty {
                    let cur = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = cur
                }
            }
            return row[b.count]
        }
        let best = options.map { ($0, distance(Array(word), Array($0))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }
}
