import FirebreakCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a reporter can learn about what they handed in: each spool file of theirs (taken, and the incident it
/// went to; or refused, and why) and each incident their reports went to. `done/` and `rejected/` are not
/// readable by reporters (they hold everyone's reports), so the daemon answers for them over the socket,
/// showing a file only to the user who owns it: renaming keeps the owner, so the owner of `done/NAME` is the
/// reporter of NAME.
public enum Receipts {
    /// One spool file of the caller's, as found in `done/` or `rejected/`.
    struct SpoolFile: Sendable {
        let name: String
        let time: Timestamp
        /// nil: taken (in done/); else the field and reason it was refused for.
        let refused: (field: String, reason: String)?
    }

    /// The caller's files in the spool's `done/` and `rejected/`, newest first; `only` limits it to one name.
    /// A directory walk: reporters ask rarely, and the walk runs off the desk.
    static func files(spool root: String, uid: uid_t, only: String?) -> [SpoolFile] {
        var found: [SpoolFile] = []
        for sub in ["done", "rejected"] {
            let dir = root + "/" + sub
            let names = only.map { [$0] } ?? ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            for name in names where !name.hasSuffix(".reason") && !name.hasPrefix(".") {
                var st = stat()
                guard lstat(dir + "/" + name, &st) == 0, st.st_uid == uid else { continue }
                let time = Timestamp(millisecondsSinceEpoch: Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000)
                if sub == "done" {
                    // Evidence files follow their report as `<report>.<name>`: the caller keeps only names
                    // the engine took as reports.
                    found.append(SpoolFile(name: name, time: time, refused: nil))
                } else {
                    guard let text = try? String(contentsOfFile: dir + "/" + name + ".reason", encoding: .utf8) else { continue }
                    var fields: [String: String] = [:]
                    for line in text.split(separator: "\n") {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        fields[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                    }
                    found.append(SpoolFile(name: name, time: time, refused: (fields["field"] ?? "", fields["reason"] ?? text)))
                }
            }
        }
        return found.sorted { ($0.time, $0.name) > ($1.time, $1.name) }
    }

    /// The rows `firebreak reports --mine` prints: spool files, then incidents reported by other means.
    static func rows(files: [SpoolFile], keys: [String: String], incidents: [String: IncidentState], reported: [IncidentState]) -> [JSONValue] {
        func about(_ inc: IncidentState?) -> [String: JSONValue] {
            guard let inc else { return [:] }
            return ["incident": .string(inc.id), "status": .string(inc.status.rawValue), "title": .string(inc.plan.title), "url": .string(inc.canonicalURL)]
        }
        var rows: [JSONValue] = []
        var covered: Set<String> = []
        for f in files {
            var o: [String: JSONValue] = ["file": .string(f.name), "time": .string(f.time.rfc3339)]
            if let r = f.refused {
                o["refused"] = true
                o["field"] = .string(r.field)
                o["reason"] = .string(r.reason)
            } else if let id = keys["spool:" + f.name] {
                o.merge(about(incidents[id])) { a, _ in a }
                covered.insert(id)
            }
            rows.append(.object(o))
        }
        for inc in reported.sorted(by: { $0.openedAt > $1.openedAt }) where !covered.contains(inc.id) {
            var o = about(inc)
            o["time"] = .string(inc.openedAt.rfc3339)
            rows.append(.object(o))
        }
        return rows
    }
}
