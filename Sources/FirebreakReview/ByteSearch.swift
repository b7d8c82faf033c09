#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `needle` occurs in `hay`, byte for byte: memchr to the next candidate first byte, memcmp there.
/// (Swift's Glibc module does not export memmem, a GNU extension.)
public func bytes(_ hay: [UInt8], contain needle: [UInt8]) -> Bool {
    guard !needle.isEmpty else { return true }
    guard hay.count >= needle.count else { return false }
    return hay.withUnsafeBytes { h in
        needle.withUnsafeBytes { n in
            let base = h.baseAddress!, last = h.count - n.count
            var at = 0
            while at <= last {
                guard let hit = memchr(base + at, Int32(n[0]), last - at + 1) else { return false }
                at = UnsafeRawPointer(hit) - base
                if memcmp(base + at, n.baseAddress!, n.count) == 0 { return true }
                at += 1
            }
            return false
        }
    }
}
