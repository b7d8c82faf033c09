import FirebreakCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A time as a person reads it: to the minute, in the terminal's time zone (TZ, else the system's), with the
/// zone's name. The daemon speaks RFC 3339 UTC with milliseconds, which is right for records and wrong for a
/// responder at 3 a.m.; `--json` keeps the daemon's form.
func localTime(_ value: JSONValue?) -> String {
    guard let text = value?.stringValue else { return "-" }
    guard let t = Timestamp(rfc3339: text) else { return text }
    var seconds = time_t(t.millisecondsSinceEpoch / 1000)
    var parts = tm()
    guard localtime_r(&seconds, &parts) != nil else { return text }
    var buffer = [CChar](repeating: 0, count: 64)
    let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M %Z", &parts)
    guard n > 0 else { return text }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// How long ago a time was, by this machine's clock ("3 h 5 min"), for lists read at a glance.
func age(_ value: JSONValue?) -> String {
    guard let t = value?.stringValue.flatMap({ Timestamp(rfc3339: $0) }) else { return "" }
    let now = Timestamp(millisecondsSinceEpoch: Int64(time(nil)) * 1000)
    return max(now - t, .zero).words
}
