import ArgumentParser
import FirebreakUnix
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A firebreakd from the same build as the bench (release beside release), on a state directory of its own,
/// started and waited for until its socket answers.
struct BenchDaemon {
    let process: Process
    let state: String
    let socket: String

    /// The firebreakd next to this executable.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("firebreakd").path
    }

    static func start(state: String, socket: String? = nil, extra: [String] = []) throws -> BenchDaemon {
        let root = FileManager.default.currentDirectoryPath
        let socket = socket ?? state + ".sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--state-dir", state, "--spool-dir", state + "/spool", "--socket", socket, "--playbooks", root + "/Playbooks",
                       "--roster", root + "/Playbooks/roster.example.yaml", "--log", "stderr", "--http", "off"] + extra
        // The daemon's log beside its state, for a look when a figure surprises.
        if !FileManager.default.fileExists(atPath: state + ".log"), !FileManager.default.createFile(atPath: state + ".log", contents: nil) {
            throw ValidationError("cannot create \(state).log for the daemon's log")
        }
        let log = FileHandle(forWritingAtPath: state + ".log")
        _ = try? log?.seekToEnd()
        p.standardError = log ?? FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let fd = UnixSocket.connected(to: socket)
            if fd >= 0 {
                let sent = UnixSocket.sendAll(fd, Array(#"{"v":1,"op":"whoami"}"#.utf8) + [0x0A])
                var buffer = [UInt8](repeating: 0, count: 4096)
                let got = UnixSocket.receive(fd, into: &buffer)
                close(fd)
                if sent && got.count > 0 { return BenchDaemon(process: p, state: state, socket: socket) }
            }
            usleep(5_000)
        }
        kill(p.processIdentifier, SIGKILL)
        throw ValidationError("firebreakd (\(executable)) did not answer on \(socket)")
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    /// The baseline of idle memory: resident bytes of `firebreak-floor` (beside this executable), which loads the
    /// libraries firebreakd loads and nothing of Firebreak, read once it says it is ready. Nil when it is missing.
    static func floorResidentBytes() throws -> Int? {
        let path = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("firebreak-floor").path
        guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let said = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard said.hasPrefix("ready") else { throw ValidationError("firebreak-floor did not say ready (\(said))") }
        return BenchDaemon.resident(p.processIdentifier)
    }

    static func resident(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return 0 }
        return (Int(text.split(separator: " ")[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Resident memory now.
    var residentBytes: Int { BenchDaemon.resident(process.processIdentifier) }
}
