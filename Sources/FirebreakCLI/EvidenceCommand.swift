import ArgumentParser
import Crypto
import FirebreakCore
import FirebreakProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `firebreak evidence INC SHA256`: a stored evidence file, for responders and managers. The daemon passes the
/// stored file itself (a read-only descriptor), so nothing is copied through JSON; the bytes are checked
/// against the journaled SHA-256 on the way out.
struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Save a file handed in with a report (responders and managers). `firebreak show INC` lists them."
    )

    @Argument(help: "The incident (INC-12).", transform: EngineState.canonicalIncidentID) var incident: String
    @Argument(help: "The file's SHA-256, as `firebreak show` prints it.") var sha256: String
    @Option(name: [.short, .long], help: "Write it here (default: standard output).") var output: String?
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let (result, passed) = try daemon.exchange(.evidence(incident: incident, sha256: sha256))
        guard let fd = passed else {
            printError("firebreak: the daemon did not pass the file")
            throw ExitCode(2)
        }
        defer { close(fd) }
        let out: Int32
        if let output {
            out = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard out >= 0 else {
                printError("firebreak: cannot create \(output): \(String(cString: strerror(errno))) (it must not exist yet)")
                throw ExitCode(2)
            }
        } else {
            out = STDOUT_FILENO
        }
        defer { if out != STDOUT_FILENO { close(out) } }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { printError("firebreak: reading the evidence failed: \(String(cString: strerror(errno)))"); throw ExitCode(2) }
            if n == 0 { break }
            hasher.update(data: buffer[0..<n])
            total += Int64(n)
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { write(out, $0.baseAddress! + done, n - done) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { printError("firebreak: writing failed: \(String(cString: strerror(errno)))"); throw ExitCode(2) }
                done += w
            }
        }
        let digest = Hex.lowercase(hasher.finalize())
        guard digest == result["sha256"]?.stringValue else {
            printError("firebreak: the stored file's SHA-256 is \(digest), not the journaled \(result["sha256"]?.stringValue ?? "?"): it was altered")
            throw ExitCode(1)
        }
        if let output {
            printError("Saved \(result["name"]?.stringValue ?? "the file") (\(result["type"]?.stringValue ?? "?"), \(total) bytes) to \(output); SHA-256 checked.")
        }
    }
}
