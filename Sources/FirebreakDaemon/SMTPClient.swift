import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Just enough SMTP to hand a message to the organisation's relay (RFC 5321: EHLO, MAIL, RCPT, DATA, QUIT) with
/// blocking calls and a timeout on every read and write. Written by hand: no maintained Swift SMTP package is
/// among the ones this project can use, and a relay on the local network needs neither TLS nor AUTH here.
enum SMTPClient {
    static func send(relay: String, from: String, to: String, message: String, timeout: Double, heloName: String = "firebreakd") throws(DaemonError) {
        let parts = relay.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw DaemonError(.mail, "smtp relay \(relay) is not host:port") }
        let fd = try connect(host: String(parts[0]), port: port, timeout: timeout)
        defer { close(fd) }
        var buffer: [UInt8] = []
        func reply(_ expect: Int) throws(DaemonError) {
            // A reply is one or more lines; the last has a space after its code.
            while true {
                while !buffer.contains(0x0A) {
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw DaemonError(.mail, "the relay \(relay) closed the connection or timed out") }
                    buffer += chunk[0..<n]
                }
                let nl = buffer.firstIndex(of: 0x0A)!
                let line = String(decoding: buffer[..<nl], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                buffer.removeSubrange(...nl)
                guard line.count >= 3, let code = Int(line.prefix(3)) else { throw DaemonError(.mail, "the relay said \"\(line)\"") }
                if line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-" { continue }
                guard code / 100 == expect / 100 else { throw DaemonError(.mail, "the relay said \"\(line)\"") }
                return
            }
        }
        func say(_ text: String) throws(DaemonError) {
            let bytes = Array(text.utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw DaemonError(.mail, "cannot write to the relay \(relay): \(String(cString: strerror(errno)))") }
                done += n
            }
        }
        try reply(220)
        try say("EHLO \(heloName)\r\n"); try reply(250)
        try say("MAIL FROM:<\(from)>\r\n"); try reply(250)
        try say("RCPT TO:<\(to)>\r\n"); try reply(250)
        try say("DATA\r\n"); try reply(354)
        // Dot-stuffing, CRLF line ends.
        let body = message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        try say(body + "\r\n.\r\n"); try reply(250)
        try? say("QUIT\r\n")
    }

    private static func connect(host: String, port: UInt16, timeout: Double) throws(DaemonError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw DaemonError(.mail, "cannot resolve \(host)") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let a = entry {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if fd >= 0 {
                var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
                lastError = String(cString: strerror(errno))
                close(fd)
            }
            entry = a.pointee.ai_next
        }
        throw DaemonError(.mail, "cannot connect to \(host):\(port): \(lastError)")
    }
}
