/// Whole-word, case-insensitive keyword matching: "leak" matches "Leak!" but not "leaked" or "bleak";
/// "board pack" matches "the Board  Pack," (the same words in a row).
public enum Keywords {
    /// Lowercase words of letters and digits, in order.
    public static func words(_ text: String) -> [Substring] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }
    }

    public static func normalise(_ keyword: String) -> String {
        words(keyword).joined(separator: " ")
    }

    /// The keywords (normalised) found in `text`.
    public static func found(_ keywords: [String], in text: String) -> [String] {
        guard !keywords.isEmpty, !text.isEmpty else { return [] }
        let w = words(text)
        var hits: [String] = []
        for keyword in keywords {
            let parts = keyword.split(separator: " ")
            guard !parts.isEmpty, parts.count <= w.count else { continue }
            var i = 0
            while i + parts.count <= w.count {
                if w[i] == parts[0] && (1..<parts.count).allSatisfy({ w[i + $0] == parts[$0] }) {
                    hits.append(keyword)
                    break
                }
                i += 1
            }
        }
        return hits
    }
}
