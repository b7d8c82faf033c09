import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The unit file in systemd/ is checked by systemd's own tools, against the binary this build made.
@Suite struct UnitFileTests {
    static let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The unit with ExecStart pointed at the freshly built daemon, since verify checks that the binary exists.
    static func unitForThisBuild(_ dir: TempDir) throws -> String {
        let unit = try String(contentsOfFile: TestPaths.repoRoot + "/systemd/firebreakd.service", encoding: .utf8)
        let path = dir.sub("firebreakd.service")
        try unit.replacingOccurrences(of: "/usr/sbin/firebreakd", with: productPath("firebreakd"))
            .write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.copyItem(atPath: TestPaths.repoRoot + "/systemd/firebreakd.socket", toPath: dir.sub("firebreakd.socket"))
        return path
    }

    @Test(.enabled(if: analyze != nil, "needs systemd-analyze"))
    func theServiceUnitPassesSystemdAnalyzeVerify() throws {
        let dir = TempDir("unit")
        let service = try Self.unitForThisBuild(dir)
        let result = try run(Self.analyze!, ["verify", service, dir.sub("firebreakd.socket")])
        // Documentation= points at a man page and a file that are only there once installed (InstalledPackageTests
        // verifies the installed units with them); anything else is a real problem.
        let problems = (result.stdout + result.stderr).split(separator: "\n").filter { !$0.contains("Documentation") && !$0.contains("Command 'man ") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(problems.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    static let tmpfiles = ["/usr/bin/systemd-tmpfiles", "/bin/systemd-tmpfiles"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: tmpfiles != nil && getuid() == 0, "needs systemd-tmpfiles and root"))
    func theTmpfilesConfigurationCreatesTheSpoolWithItsModes() throws {
        let dir = TempDir("tmpfiles")
        let root = dir.sub("root")
        try FileManager.default.createDirectory(atPath: root + "/var/spool", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        // The group must exist for the configuration to apply; sysusers.d makes it on a host.
        let conf = try String(contentsOfFile: TestPaths.repoRoot + "/systemd/firebreak.tmpfiles", encoding: .utf8)
            .replacingOccurrences(of: "firebreak firebreak", with: "root root")
        try conf.write(toFile: dir.sub("firebreak.conf"), atomically: true, encoding: .utf8)
        let result = try run(Self.tmpfiles!, ["--create", "--root=" + root, dir.sub("firebreak.conf")])
        #expect(result.status == 0, "\(result.stderr)")
        var st = stat()
        #expect(stat(root + "/var/spool/firebreak/new", &st) == 0 && st.st_mode & 0o7777 == 0o1733)
        #expect(stat(root + "/var/spool/firebreak/done", &st) == 0 && st.st_mode & 0o7777 == 0o750)
    }

    @Test(.enabled(if: analyze != nil, "needs systemd-analyze"))
    func theServiceUnitIsHardened() throws {
        let dir = TempDir("unit-sec")
        let result = try run(Self.analyze!, ["security", "--offline=true", "--threshold=15", try Self.unitForThisBuild(dir)])
        let line = result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") }
        let score = line.flatMap { l in l.split(separator: " ").compactMap { Double($0) }.first }
        #expect(score != nil && score! <= 1.5, "exposure: \(line ?? "none")\n\(result.stderr)")
    }

    static let strace = ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The system calls the unit's `SystemCallFilter=` lines allow: the first line's list, then each later line
    /// adding to it or (`~`) taking from it, groups expanded by systemd-analyze itself.
    static func allowedSystemCalls(unit: String) throws -> Set<String> {
        var cache: [String: Set<String>] = [:]
        func expand(_ name: String) throws -> Set<String> {
            guard name.hasPrefix("@") else { return [name] }
            if let known = cache[name] { return known }
            let listed = try run(Self.analyze!, ["syscall-filter", name]).stdout.split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") && $0 != name }
            var all: Set<String> = []
            for item in listed { all.formUnion(try expand(item)) }
            cache[name] = all
            return all
        }
        var allowed: Set<String> = []
        var first = true
        for line in unit.split(separator: "\n") where line.hasPrefix("SystemCallFilter=") {
            var value = line.dropFirst("SystemCallFilter=".count).trimmingCharacters(in: .whitespaces)
            let deny = value.hasPrefix("~")
            if deny { value.removeFirst() }
            var names: Set<String> = []
            for item in value.split(separator: " ") { names.formUnion(try expand(String(item))) }
            if first && !deny { allowed = names } else if deny { allowed.subtract(names) } else { allowed.formUnion(names) }
            first = false
        }
        return allowed
    }

    /// The unit's system-call filter lets the daemon do what it does: every call made by a real start, reports
    /// over the socket and the spool, snapshots (their thread lowers its priority) and a clean stop, traced with
    /// strace, is one the filter allows. (setpriority, taken out with @resources, killed the daemon before.)
    @Test(.enabled(if: analyze != nil && strace != nil, "needs systemd-analyze and strace"))
    func everySystemCallTheDaemonMakesIsOneTheUnitAllows() throws {
        let unit = try String(contentsOfFile: TestPaths.repoRoot + "/systemd/firebreakd.service", encoding: .utf8)
        let allowed = try Self.allowedSystemCalls(unit: unit)
        #expect(allowed.contains("fdatasync") && allowed.contains("epoll_wait") && !allowed.contains("mount"))

        let dir = TempDir("unit-syscalls")
        let traced = dir.sub("strace.txt")
        let (d, _) = try DaemonHarness().startDaemon(dir, arguments: ["--snapshot-every", "5"],
                                                    wrapper: [Self.strace!, "-f", "-qq", "-c", "-U", "name", "-o", traced])
        defer { if d.process.isRunning { kill(d.process.processIdentifier, SIGKILL) } }
        for n in 1...12 {
            let reply = SocketTests.raw(d.socket, Array(#"{"v":1,"op":"report","args":{"report":{"url":"https://x.com/t/status/\#(n)","category":"other"}}}"#.utf8) + [0x0A])
            #expect(reply.contains("\"ok\":true"), "\(reply)")
        }
        SpoolTests.drop(d.state + "/spool", "one.json", Array(#"{"url":"https://x.com/t/status/99","category":"other"}"#.utf8))
        #expect(waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: d.state + "/spool/done")) ?? []).count == 1 })
        // SIGTERM to the daemon itself, strace's child (strace, signalled, would only detach); strace writes its
        // count when the daemon has exited.
        let children = String(decoding: readBytes("/proc/\(d.process.processIdentifier)/task/\(d.process.processIdentifier)/children"), as: UTF8.self)
        let daemonPID = try #require(children.split(separator: " ").first.flatMap { Int32($0) }, "strace's child")
        kill(daemonPID, SIGTERM)
        d.process.waitUntilExit()
        #expect(d.process.terminationStatus == 0)
        let made = String(decoding: readBytes(traced), as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("syscall") && !$0.hasPrefix("-") && !$0.hasPrefix("total") }
            // strace also writes a line of its own when it detaches ("22639 ???( <detached ...>"): not a call.
            .filter { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }
        #expect(made.count > 30, "\(made)")
        #expect(made.contains("setpriority"), "the snapshot thread lowered its priority")
        let refused = made.filter { !allowed.contains($0) }
        #expect(refused.isEmpty, "calls the unit's filter would refuse: \(refused)")
    }
}
