import ArgumentParser
import FirebreakCore
import FirebreakProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report a problem post. You get back the incident it is handled under.",
        discussion: """
            Who you are comes from your login, never from a field; the post's author is never told who reported. \
            Categories:
            \(ReportCategory.allCases.map { "  \($0.rawValue): \($0.explanation)" }.joined(separator: "\n"))
            """
    )

    @Argument(help: "The post's address (https://…). Not needed with --file.")
    var url: String?

    @Option(help: "What is wrong (see the list below).")
    var category: String?

    @Option(help: "The platform (x, facebook, linkedin, …); worked out from the address when left out.")
    var platform: String?

    @Option(help: "The post's author, as shown on the platform.")
    var author: String?

    @Option(help: "The post's text, or the part that matters.")
    var text: String?

    @Option(help: "Anything you want the responders to know.")
    var note: String?

    @Option(help: "Views, if the platform shows them.")
    var views: Int64?

    @Option(help: "Shares or reposts, if shown.")
    var shares: Int64?

    @Option(name: .customLong("evidence"), help: ArgumentHelp(
        "A file to keep with the report (a screenshot, a saved page): posts get deleted. Repeat for more (at most \(Report.maxEvidence)).",
        valueName: "file"))
    var evidence: [String] = []

    @Option(help: "A report as a JSON file (DESIGN.md report fields); flags given too take precedence.")
    var file: String?

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        _ = try fields()
        guard evidence.count <= Report.maxEvidence else { throw ValidationError("--evidence: at most \(Report.maxEvidence) files go with one report") }
    }

    /// Opens each evidence file as the person running the command (what they may read, they may hand in), and
    /// refuses what is not a regular file before anything is sent.
    func openEvidence() throws -> [(name: String, fd: Int32)] {
        var opened: [(name: String, fd: Int32)] = []
        for path in evidence {
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            var st = stat()
            guard fd >= 0 else {
                opened.forEach { close($0.fd) }
                throw ValidationError("--evidence \(path): cannot be opened: \(String(cString: strerror(errno)))")
            }
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                opened.forEach { close($0.fd) }
                throw ValidationError("--evidence \(path): is not a regular file")
            }
            var name = (path as NSString).lastPathComponent
            if Evidence.problem(withName: name) != nil { name = "evidence-\(opened.count + 1)" }
            opened.append((name, fd))
        }
        return opened
    }

    /// The report's fields from the file and the flags, checked here too so a typo is caught before sending.
    func fields() throws -> Report {
        var fields: [String: JSONValue] = [:]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            do {
                guard case .object(let o) = try JSONParser.parse(Array(data)) else { throw ValidationError("\(file): a report must be a JSON object") }
                fields = o
            } catch let e as JSONParser.Error {
                throw ValidationError("\(file): not JSON: \(e)")
            }
        }
        if let url { fields["url"] = .string(url) }
        if let category { fields["category"] = .string(category) }
        if let platform { fields["platform"] = .string(platform) }
        if let author { fields["author"] = .string(author) }
        if let text { fields["text"] = .string(text) }
        if let note { fields["note"] = .string(note) }
        if views != nil || shares != nil {
            var reach = fields["reach"]?.objectValue ?? [:]
            if let views { reach["views"] = .int(views) }
            if let shares { reach["shares"] = .int(shares) }
            fields["reach"] = .object(reach)
        }
        do { return try Report(json: .object(fields)) } catch {
            throw ValidationError("\(error.field) \(error.reason)")
        }
    }

    func run() throws {
        let files = try openEvidence()
        defer { files.forEach { close($0.fd) } }
        let result = try daemon.exchange(.report(try fields(), key: nil, files: files.map(\.name)), fds: files.map(\.fd)).result
        if daemon.json { print(result.jsonText); return }
        let inc = result["incident"]?.stringValue ?? "?"
        let report = result["report"]?.stringValue ?? "your report"
        if result["opened"]?.boolValue == true {
            print("Thank you. \(report) opened \(inc): \(result["playbook_title"]?.stringValue ?? "") (severity \(result["severity"]?.stringValue ?? "?")).")
        } else {
            print("Thank you. \(report) was added to \(inc), which is already being handled.")
        }
        for e in result["evidence"]?.arrayValue ?? [] {
            print("Kept \(e["name"]?.stringValue ?? "a file") (\(e["size"]?.intValue ?? 0) bytes, \(e["type"]?.stringValue ?? "?")), sha256 \(e["sha256"]?.stringValue ?? "?").")
        }
        print("Quote \(inc) if anyone asks about it. To add more (context, a screenshot with --evidence FILE), report the same post again.")
    }
}

/// `firebreak reports --mine`: what became of everything you reported, by any path. A spool file you wrote
/// shows as taken (its incident, and where that stands) or refused (the field and the reason), so nobody has
/// to read the daemon's directories to learn it; `--file NAME` is the receipt for one file.
struct ReportsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports", abstract: "List your own reports and where each stands (spool files: taken or refused, and why).")
    @Flag(help: "Your own reports (the only ones this lists; the flag says so).") var mine = false
    @Option(help: "The receipt for one spool file of yours, by its name in new/.") var file: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let rows = try daemon.call(.reports(file: file)).arrayValue ?? []
        if daemon.json { print(JSONValue.array(rows).jsonText); return }
        if rows.isEmpty { print("you have reported nothing yet"); return }
        for r in rows {
            let what = r["file"]?.stringValue.map { "spool file \($0)" } ?? "report"
            let when = localTime(r["time"])
            if r["refused"] == true {
                print("\(when)  \(what): refused — \(r["field"]?.stringValue ?? "?"): \(r["reason"]?.stringValue ?? "")")
                print("    fix it and write it again into new/ (or use `firebreak report URL`)")
            } else if let inc = r["incident"]?.stringValue {
                print("\(when)  \(what): \(inc), \(r["status"]?.stringValue ?? "") — \(r["title"]?.stringValue ?? "")  \(r["url"]?.stringValue ?? "")")
            } else {
                print("\(when)  \(what): taken")
            }
        }
    }
}
