import ArgumentParser
import FirebreakCore
import Foundation

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

    @Option(help: "A report as a JSON file (DESIGN.md report fields); flags given too take precedence.")
    var file: String?

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        _ = try fields()
    }

    /// The report's fields from the file and the flags, checked here too so a typo is caught before sending.
    func fields() throws -> [String: JSONValue] {
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
        do { _ = try Report(json: .object(fields)) } catch {
            throw ValidationError("\(error.field) \(error.reason)")
        }
        return fields
    }

    func run() throws {
        let result = try daemon.call("report", ["report": .object(try fields())])
        if daemon.json { print(result.jsonText); return }
        let inc = result["incident"]?.stringValue ?? "?"
        let report = result["report"]?.stringValue ?? "your report"
        if result["opened"]?.boolValue == true {
            print("Thank you. \(report) opened \(inc): \(result["playbook_title"]?.stringValue ?? "") (severity \(result["severity"]?.stringValue ?? "?")).")
        } else {
            print("Thank you. \(report) was added to \(inc), which is already being handled.")
        }
        print("Quote \(inc) if anyone asks about it. To add something (more context, a screenshot), report the same post again.")
    }
}
