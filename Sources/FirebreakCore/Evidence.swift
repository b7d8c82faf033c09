/// A file handed in with a report (a screenshot, a saved page), as stored: posts get deleted, so this is what
/// the responders keep. The bytes live content-addressed under the state directory; the journal holds these
/// fields, so anyone can check a stored file against the record.
public struct Evidence: Sendable, Hashable {
    /// The name the reporter gave it (a file name, no directories), for people to recognise it.
    public var name: String
    /// Lowercase hex SHA-256 of the bytes: the address in the store.
    public var sha256: String
    public var size: Int64
    /// A media type found from the file's first bytes (not from its name, which anyone can choose).
    public var type: String

    public init(name: String, sha256: String, size: Int64, type: String) {
        self.name = name
        self.sha256 = sha256
        self.size = size
        self.type = type
    }

    public var json: JSONValue {
        ["name": .string(name), "sha256": .string(sha256), "size": .int(size), "type": .string(type)]
    }

    public init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let sha = json["sha256"]?.stringValue, Evidence.isDigest(sha),
              let size = json["size"]?.intValue, let type = json["type"]?.stringValue else { return nil }
        self.init(name: name, sha256: sha, size: size, type: type)
    }

    public static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Why `name` cannot name a file handed in (nil when it can): a plain file name, nothing that walks
    /// directories, hides, or would not print.
    public static func problem(withName name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 255 { return "is longer than 255 bytes" }
        if name == "." || name == ".." || name.hasPrefix(".") { return "must not start with a dot" }
        if name.contains("/") { return "must be a file name, without directories" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "contains control characters" }
        return nil
    }

    /// The media type of a file from its first bytes (up to 512 are looked at).
    public static func sniff(_ head: [UInt8]) -> String {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return "application/zip" }
        if starts(Array("ftyp".utf8), at: 4) { return "video/mp4" }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) { return "video/webm" }
        guard let text = String(validating: head.prefix(512), as: UTF8.self) ?? String(validating: head.prefix(509), as: UTF8.self) else {
            return "application/octet-stream"
        }
        let start = text.drop { $0.isWhitespace }.prefix(64).lowercased()
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") || start.hasPrefix("<head") { return "text/html" }
        if start.hasPrefix("mime-version:") || start.hasPrefix("from:") && text.contains("multipart/related") { return "message/rfc822" }
        if start.hasPrefix("<svg") || start.hasPrefix("<?xml") && text.contains("<svg") { return "image/svg+xml" }
        if start.hasPrefix("{") || start.hasPrefix("[") { return "application/json" }
        if !text.unicodeScalars.contains(where: { $0.value < 0x09 || ($0.value > 0x0D && $0.value < 0x20) }) { return "text/plain" }
        return "application/octet-stream"
    }
}
