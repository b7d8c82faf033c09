/// Lowercase hexadecimal, as the journal, the evidence store and the snapshot write digests.
public enum Hex {
    /// The sixteen digits as bytes, for comparing against hex text without building a string.
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Inlinable so that it is specialised for the digest type at each caller (unspecialised, the iteration goes
    /// through witness tables on every report).
    @inlinable
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
