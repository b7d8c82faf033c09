/// What an employee files about a post (DESIGN.md, "Report"). The reporter is not a field: it is who the
/// operating system says filed it, added by the intake edge.
public struct Report: Sendable, Hashable {
    public var url: String
    public var platform: String?
    public var category: ReportCategory?
    public var author: String?
    public var text: String?
    public var note: String?
    public var views: Int64?
    public var shares: Int64?
    /// Files the reporter names (spool reports: files in the spool's `evidence/` directory). The intake edge
    /// stores each and puts what it stored in `attached`.
    public var evidence: [String]
    /// Evidence as stored, journaled with the report.
    public var attached: [Evidence] = []
    /// The canonical form of `url` worked out when the JSON was checked, so that the intake does not parse the
    /// address a second time (it was a twentieth of the desk's CPU per report). Not part of the report's value.
    var checkedAddress = CheckedAddress()

    public init(url: String, platform: String? = nil, category: ReportCategory? = nil, author: String? = nil,
                text: String? = nil, note: String? = nil, views: Int64? = nil, shares: Int64? = nil, evidence: [String] = []) {
        self.url = url
        self.platform = platform
        self.category = category
        self.author = author
        self.text = text
        self.note = note
        self.views = views
        self.shares = shares
        self.evidence = evidence
    }

    /// A field that is wrong, and why, in words the person who filed it can act on.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let field: String
        public let reason: String
        public var description: String { "\(field): \(reason)" }
    }

    static let knownFields: Set<String> = ["url", "platform", "category", "author", "text", "note", "reach", "evidence"]
    public static let maxTextLength = 20_000
    public static let maxEvidence = 10

    /// Reads a report from its JSON form, refusing unknown fields (a typo must not silently drop what someone
    /// meant to say) and naming the field of every problem.
    public init(json: JSONValue) throws(Problem) {
        guard case .object(let o) = json else { throw Problem(field: "report", reason: "must be a JSON object") }
        if let unknown = o.keys.sorted().first(where: { !Report.knownFields.contains($0) }) {
            throw Problem(field: unknown, reason: "is not a report field (fields: \(Report.knownFields.sorted().joined(separator: ", ")))")
        }
        guard let urlValue = o["url"] else { throw Problem(field: "url", reason: "is required: the address of the post") }
        guard let url = urlValue.stringValue else { throw Problem(field: "url", reason: "must be a string") }
        let canonical: String
        switch PostAddress.canonical(url) {
        case .success(let c): canonical = c
        case .failure(let why): throw Problem(field: "url", reason: "“\(url)” \(why)")
        }
        func optionalString(_ name: String, max: Int = 2_000) throws(Problem) -> String? {
            guard let v = o[name], v != .null else { return nil }
            guard let s = v.stringValue else { throw Problem(field: name, reason: "must be a string") }
            guard s.count <= max else { throw Problem(field: name, reason: "is longer than \(max) characters") }
            return s.isEmpty ? nil : s
        }
        var category: ReportCategory?
        if let c = try optionalString("category") {
            guard let known = ReportCategory(rawValue: c) else {
                throw Problem(field: "category", reason: "\"\(c)\" is not a category (one of: \(ReportCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            category = known
        }
        var views: Int64?, shares: Int64?
        if let reach = o["reach"], reach != .null {
            guard case .object(let r) = reach else { throw Problem(field: "reach", reason: "must be an object with views and shares") }
            for key in r.keys where key != "views" && key != "shares" {
                throw Problem(field: "reach.\(key)", reason: "is not a reach field (views, shares)")
            }
            for (key, value) in r where value != .null {
                guard let n = value.intValue, n >= 0 else { throw Problem(field: "reach.\(key)", reason: "must be a whole number of at least 0") }
                if key == "views" { views = n } else { shares = n }
            }
        }
        var evidence: [String] = []
        if let e = o["evidence"], e != .null {
            guard let items = e.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw Problem(field: "evidence", reason: "must be a list of file names")
            }
            evidence = items.compactMap(\.stringValue)
            guard evidence.count <= Report.maxEvidence else {
                throw Problem(field: "evidence", reason: "names \(evidence.count) files; at most \(Report.maxEvidence) go with one report")
            }
            for (i, name) in evidence.enumerated() {
                if let why = Evidence.problem(withName: name) { throw Problem(field: "evidence[\(i)]", reason: "\"\(name)\" \(why)") }
            }
        }
        self.init(url: url, platform: try optionalString("platform")?.lowercased(), category: category,
                  author: try optionalString("author"), text: try optionalString("text", max: Report.maxTextLength),
                  note: try optionalString("note", max: Report.maxTextLength), views: views, shares: shares, evidence: evidence)
        checkedAddress = CheckedAddress(url: url, canonical: canonical)
    }

    /// The canonical address of `url`, from the check when the address has not changed since.
    var canonicalURL: Result<String, PostAddress.Problem> {
        if checkedAddress.url == url, let canonical = checkedAddress.canonical { return .success(canonical) }
        return PostAddress.canonical(url)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["url": .string(url)]
        if let platform { o["platform"] = .string(platform) }
        if let category { o["category"] = .string(category.rawValue) }
        if let author { o["author"] = .string(author) }
        if let text { o["text"] = .string(text) }
        if let note { o["note"] = .string(note) }
        if views != nil || shares != nil {
            var r: [String: JSONValue] = [:]
            if let views { r["views"] = .int(views) }
            if let shares { r["shares"] = .int(shares) }
            o["reach"] = .object(r)
        }
        if !evidence.isEmpty { o["evidence"] = .array(evidence.map { .string($0) }) }
        return .object(o)
    }
}

/// A canonical address with the address it was made from, or none. Equal to every other, empty or not: a
/// cache, not a field, so that a report read from JSON equals the same report built by hand.
struct CheckedAddress: Sendable, Hashable {
    var url: String?
    var canonical: String?

    static func == (_: CheckedAddress, _: CheckedAddress) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
