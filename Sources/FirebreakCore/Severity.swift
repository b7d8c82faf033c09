/// How bad an incident is. Ordered, so steps can be gated on "high or worse" and rules can only raise it.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
    case low, medium, high, critical

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// What is wrong with a post, as the person reporting it chooses. Each category has a plain-words
/// explanation, shown on the report form and in `firebreak report --help`.
public enum ReportCategory: String, Sendable, Hashable, CaseIterable {
    case confidentialInformation = "confidential-information"
    case privacyBreach = "privacy-breach"
    case harassment
    case discrimination
    case negativeViral = "negative-viral"
    case misrepresentation
    case impersonation
    case unapprovedPromotion = "unapproved-promotion"
    case inappropriateContent = "inappropriate-content"
    case selfReport = "self-report"
    case other

    public var explanation: String {
        switch self {
        case .confidentialInformation: "Shares figures, plans, documents or screenshots that are not public."
        case .privacyBreach: "Shows a customer's, patient's, donor's or colleague's personal details."
        case .harassment: "Targets, threatens or demeans a colleague or someone we serve."
        case .discrimination: "Treats people worse because of who they are."
        case .negativeViral: "A post about us spreading fast for the wrong reasons."
        case .misrepresentation: "Speaks for the organisation without authority, or makes claims we cannot stand behind."
        case .impersonation: "A fake account, or someone pretending to be us or one of us."
        case .unapprovedPromotion: "Promotes an offer, product or endorsement that was not approved."
        case .inappropriateContent: "Offensive or unsafe content linked to us."
        case .selfReport: "You posted something you now think was a mistake. Reporting it early helps."
        case .other: "Something else that worries you."
        }
    }
}
