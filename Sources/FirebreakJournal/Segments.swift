/// Segment files: `NNNNNNNN.jsonl`, eight digits, read in name order; any other file in the directory is not
/// part of the journal (lock file, torn tails moved aside).
enum Segments {
    static func name(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".jsonl"
    }

    /// The index of a segment file name, or nil for any other file.
    static func index(of name: String) -> Int? {
        let u = Array(name.utf8)
        guard u.count == 14, name.hasSuffix(".jsonl") else { return nil }
        guard u[0..<8].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(String(decoding: u[0..<8], as: UTF8.self))
    }

    /// Segment indexes present in `directory`, ascending.
    static func list(_ directory: String) throws(JournalError) -> [Int] {
        try FileIO.listDirectory(directory).compactMap(index(of:)).sorted()
    }
}
