/// A problem found in a configuration file, placed as precisely as the file allows, in the form editors and
/// CI logs understand (`file:line:column: error: …`).
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Level: String, Sendable, Hashable { case error, warning }

    public let file: String
    public let line: Int?
    public let column: Int?
    public let level: Level
    public let message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, level: Level = .error, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.level = level
        self.message = message
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(level.rawValue): \(message)"
    }
}
