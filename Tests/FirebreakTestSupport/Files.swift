import FirebreakCore
import FirebreakJournal
import Foundation

/// A fresh directory under the system's temp dir, removed when the test's scope ends.
final class TempDir: @unchecked Sendable {
    let path: String

    init(_ label: String = "journal") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/firebreak-test-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// A fixed test clock: records get predictable times.
let t0 = Timestamp(rfc3339: "2026-11-22T08:00:00Z")!

func entry(_ n: Int, type: String = "test.event", actor: String = "tester", extra: [String: JSONValue] = [:]) -> JournalEntry {
    var data: [String: JSONValue] = ["n": .int(Int64(n)), "incident": .string("INC-\(n % 3)")]
    for (k, v) in extra { data[k] = v }
    return JournalEntry(time: t0.adding(milliseconds: Int64(n) * 1000), type: type, actor: actor, data: .object(data))
}

/// Writes `count` records to a new journal in `directory` and closes it.
@discardableResult
func writeJournal(_ directory: String, count: Int, options: JournalOptions = JournalOptions()) throws -> [JournalRecord] {
    let journal = try Journal.open(directory: directory, options: options)
    let records = try journal.appendNow((1...count).map { entry($0) })
    try journal.closeNow()
    return records
}

func readBytes(_ path: String) -> [UInt8] {
    Array(FileManager.default.contents(atPath: path) ?? Data())
}

func writeBytes(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func copyDirectory(_ from: String, _ to: String) throws {
    try? FileManager.default.removeItem(atPath: to)
    try FileManager.default.copyItem(atPath: from, toPath: to)
}

/// Byte ranges of each line (including its newline) in a segment.
func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    for (i, b) in bytes.enumerated() where b == 0x0A {
        ranges.append(start..<(i + 1))
        start = i + 1
    }
    return ranges
}

/// The built products (firebreak, firebreak-bench) sit beside the test bundle.
func productPath(_ name: String) -> String {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/" + name
    return fallback
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to completion, with its output captured.
///
/// Output goes to files, not pipes: tests run in parallel and a process started meanwhile by another test can
/// inherit a pipe's write end, and a pipe would then never reach end-of-file.
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let base = FileManager.default.temporaryDirectory.path + "/firebreak-run-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    let out = FileHandle(forWritingAtPath: base + ".out")!, err = FileHandle(forWritingAtPath: base + ".err")!
    process.standardOutput = out
    process.standardError = err
    if let stdin {
        _ = FileManager.default.createFile(atPath: base + ".in", contents: Data(stdin.utf8))
        process.standardInput = FileHandle(forReadingAtPath: base + ".in")
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    try? out.close()
    try? err.close()
    process.waitUntilExit()
    try? FileManager.default.removeItem(atPath: base + ".in")
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: readBytes(base + ".out"), as: UTF8.self),
                         stderr: String(decoding: readBytes(base + ".err"), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false
    func set(_ d: Data) { lock.lock(); data = d; finished = true; lock.unlock() }
    var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Starts a long-running program (the daemon) with its output in `log`, extra environment, and optionally a
/// wrapper in front (fiu-run, systemd-socket-activate), for tests that talk to it while it runs.
func launch(_ executable: String, _ arguments: [String], env extra: [String: String] = [:], wrapper: [String] = [], log: String) throws -> Process {
    let process = Process()
    if wrapper.isEmpty {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: wrapper[0])
        process.arguments = Array(wrapper.dropFirst()) + [executable] + arguments
    }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in extra { env[k] = v }
    process.environment = env
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: log)
    process.standardError = FileHandle(forWritingAtPath: log)
    try process.run()
    return process
}
