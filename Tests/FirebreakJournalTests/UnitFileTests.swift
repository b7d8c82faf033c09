import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The unit file in systemd/ is checked by systemd's own tools, against the binary this build made.
@Suite struct UnitFileTests {
    static let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The unit with ExecStart pointed at the freshly built daemon, since verify checks that the binary exists.
    static func unitForThisBuild(_ dir: TempDir) throws -> String {
        let unit = try String(contentsOfFile: InteropTests.repoRoot + "/systemd/firebreakd.service", encoding: .utf8)
        let path = dir.sub("firebreakd.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/firebreakd", with: productPath("firebreakd"))
            .write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.copyItem(atPath: InteropTests.repoRoot + "/systemd/firebreakd.socket", toPath: dir.sub("firebreakd.socket"))
        return path
    }

    @Test(.enabled(if: analyze != nil, "needs systemd-analyze"))
    func theServiceUnitPassesSystemdAnalyzeVerify() throws {
        let dir = TempDir("unit")
        let service = try Self.unitForThisBuild(dir)
        let result = try run(Self.analyze!, ["verify", service, dir.sub("firebreakd.socket")])
        // Documentation= points at a file that is only there once installed; anything else is a real problem.
        let problems = (result.stdout + result.stderr).split(separator: "\n").filter { !$0.contains("Documentation") }
        #expect(result.status == 0 && problems.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    static let tmpfiles = ["/usr/bin/systemd-tmpfiles", "/bin/systemd-tmpfiles"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: tmpfiles != nil && getuid() == 0, "needs systemd-tmpfiles and root"))
    func theTmpfilesConfigurationCreatesTheSpoolWithItsModes() throws {
        let dir = TempDir("tmpfiles")
        let root = dir.sub("root")
        try FileManager.default.createDirectory(atPath: root + "/var/spool", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        // The group must exist for the configuration to apply; sysusers.d makes it on a host.
        let conf = try String(contentsOfFile: InteropTests.repoRoot + "/systemd/firebreak.tmpfiles", encoding: .utf8)
            .replacingOccurrences(of: "root firebreak", with: "root root")
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
}
