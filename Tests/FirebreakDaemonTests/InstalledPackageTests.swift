import FirebreakCore
import Foundation
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The Debian package, installed as an operator would (`dpkg -i`) on this machine, then the installed daemon run
/// the way its unit says (ExecStart, User=, credentials, the socket unit's address) and used: a report through
/// the installed `firebreak`, a webhook delivered, the web form served, the journal verified with the key the
/// installation generated; then `dpkg -r` and `dpkg -P` leave the journal in place.
///
/// It changes the host (/usr, /etc/firebreak, /var/lib/firebreak, a system user), so it runs only when asked:
/// as root with FIREBREAK_DEB naming the .deb (`scripts/test` builds it and sets that in CI, or with
/// FIREBREAK_TEST_PACKAGE=1). systemd is not PID 1 there, so what systemd would do at start is done here from
/// the unit's own lines: the credential directory, the user, the socket unit's address, the state directory.
@Suite(.serialized) struct InstalledPackageTests {
    static let deb = ProcessInfo.processInfo.environment["FIREBREAK_DEB"].flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    static let marker = "/var/lib/firebreak/.made-by-the-package-test"

    /// `Key=value` lines of one section of a unit file, in order (a key may repeat).
    static func unitLines(_ path: String, section: String) throws -> [(key: String, value: String)] {
        var inSection = false
        var lines: [(String, String)] = []
        for raw in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { inSection = line == "[\(section)]"; continue }
            guard inSection, !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            lines.append((String(line[..<eq]), String(line[line.index(after: eq)...])))
        }
        return lines
    }

    static func value(_ lines: [(key: String, value: String)], _ key: String) -> String? { lines.last { $0.key == key }?.value }

    static func sh(_ command: String) throws -> ProcessResult { try run("/bin/sh", ["-c", command]) }

    /// The first process below `pid` (its children, theirs, …) whose name is `name`: the daemon under its wrappers.
    static func descendant(of pid: Int32, named name: String) -> Int32? {
        var queue = [pid]
        while !queue.isEmpty {
            let p = queue.removeFirst()
            if p != pid, String(decoding: readBytes("/proc/\(p)/comm"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == name { return p }
            let children = String(decoding: readBytes("/proc/\(p)/task/\(p)/children"), as: UTF8.self)
            queue += children.split(separator: " ").compactMap { Int32($0) }
        }
        return nil
    }

    static func mode(_ path: String) -> (mode: mode_t, uid: uid_t)? {
        var st = stat()
        return stat(path, &st) == 0 ? (st.st_mode & 0o7777, st.st_uid) : nil
    }

    @Test(.enabled(if: deb != nil && getuid() == 0, "set FIREBREAK_DEB to a built .deb and run as root (scripts/test does so with CI=true or FIREBREAK_TEST_PACKAGE=1)"),
          .timeLimit(.minutes(10)))
    func theInstalledPackageReportsNotifiesServesAndSignsAndLeavesTheJournalWhenPurged() throws {
        let deb = Self.deb!
        // A journal this test did not make is someone's record: never touch it.
        if FileManager.default.fileExists(atPath: "/var/lib/firebreak/journal") && !FileManager.default.fileExists(atPath: Self.marker) {
            Issue.record("/var/lib/firebreak holds a journal this test did not make; not installing over it")
            return
        }
        _ = try run("/usr/bin/dpkg", ["--purge", "firebreak"])
        _ = try Self.sh("rm -rf /var/lib/firebreak /var/spool/firebreak /etc/firebreak")

        // The package checks clean: no lintian errors (warnings are listed in docs/install.md).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/lintian") {
            let lint = try run("/usr/bin/lintian", ["--tag-display-limit", "0", deb])
            let errors = lint.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") }
            #expect(errors.isEmpty, "lintian errors:\n\(lint.stdout)\(lint.stderr)")
        }

        // Install.
        var installed = try run("/usr/bin/dpkg", ["-i", deb])
        if installed.status != 0 {
            installed = try run("/usr/bin/apt-get", ["install", "-f", "-y"], environment: ["DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        }
        try #require(installed.status == 0, "dpkg -i: \(installed.stdout)\(installed.stderr)")
        try #require(FileManager.default.createFile(atPath: Self.marker, contents: nil), "the state directory was not made")
        for path in ["/usr/sbin/firebreakd", "/usr/bin/firebreak", "/usr/bin/firebreak-bench", "/usr/lib/systemd/system/firebreakd.service",
                     "/usr/lib/systemd/system/firebreakd.socket", "/usr/lib/sysusers.d/firebreak.conf", "/usr/lib/tmpfiles.d/firebreak.conf",
                     "/usr/lib/systemd/catalog/firebreak.catalog", "/etc/firebreak/firebreak.yaml", "/etc/firebreak/roster.yaml",
                     "/usr/share/man/man1/firebreak.1.gz", "/usr/share/man/man8/firebreakd.8.gz", "/usr/share/doc/firebreak/copyright",
                     "/usr/share/bash-completion/completions/firebreak", "/usr/share/zsh/vendor-completions/_firebreak",
                     "/usr/share/fish/vendor_completions.d/firebreak.fish", "/var/spool/firebreak/new"] {
            #expect(FileManager.default.fileExists(atPath: path), "\(path) is not installed")
        }
        #expect(getpwnam("firebreak") != nil, "the firebreak user was not made")
        let key = Self.mode("/etc/firebreak/journal-signing-key")
        #expect(key?.mode == 0o600 && key?.uid == 0, "the signing key must be root's, 0600: \(String(describing: key))")
        #expect(FileManager.default.fileExists(atPath: "/etc/firebreak/journal-signing-key.pub"))
        let shipped = try FileManager.default.contentsOfDirectory(atPath: "/usr/share/firebreak/playbooks").sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/etc/firebreak/playbooks").sorted() == shipped)
        #expect(shipped.count >= 9)

        // Installing again keeps what the operator made: the key, and playbooks they removed stay removed.
        let keyBefore = readBytes("/etc/firebreak/journal-signing-key")
        try FileManager.default.removeItem(atPath: "/etc/firebreak/playbooks/" + shipped[0])
        let again = try run("/usr/bin/dpkg", ["-i", deb])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(readBytes("/etc/firebreak/journal-signing-key") == keyBefore, "reinstalling replaced the signing key")
        #expect(!FileManager.default.fileExists(atPath: "/etc/firebreak/playbooks/" + shipped[0]), "reinstalling put back a playbook the operator removed")
        try FileManager.default.copyItem(atPath: "/usr/share/firebreak/playbooks/" + shipped[0], toPath: "/etc/firebreak/playbooks/" + shipped[0])

        // The roster's people reachable on a webhook receiver on loopback instead of their e-mail.
        let dir = TempDir("installed")
        let sink = try NotificationTests.Sink("http_sink.py", in: dir)
        try #require(sink.port > 0, "the webhook receiver did not start")
        let example = try String(contentsOfFile: "/usr/share/firebreak/roster.example.yaml", encoding: .utf8)
        let roster = example.replacingOccurrences(of: #"- email: ([a-z]+)\.[a-z]+@example\.org"#, with: "- webhook: \(sink.url)/ok/$1", options: .regularExpression)
        #expect(roster != example)
        try roster.write(toFile: "/etc/firebreak/roster.yaml", atomically: true, encoding: .utf8)
        let validate = try run("/usr/bin/firebreak", ["validate"])
        #expect(validate.status == 0, "firebreak validate: \(validate.stdout)\(validate.stderr)")

        // What systemd would do to start the service, read from the installed units.
        let service = try Self.unitLines("/usr/lib/systemd/system/firebreakd.service", section: "Service")
        let socketUnit = try Self.unitLines("/usr/lib/systemd/system/firebreakd.socket", section: "Socket")
        let exec = try #require(Self.value(service, "ExecStart")).split(separator: " ").map(String.init)
        let user = try #require(Self.value(service, "User"))
        let listen = try #require(Self.value(socketUnit, "ListenStream"))
        var env: [String: String] = [:]
        for line in service where line.key == "Environment" {
            for pair in line.value.split(separator: " ") { let kv = pair.split(separator: "=", maxSplits: 1); if kv.count == 2 { env[String(kv[0])] = String(kv[1]) } }
        }
        let pw = try #require(getpwnam(user))
        let (uid, gid) = (pw.pointee.pw_uid, pw.pointee.pw_gid)
        let credentials = dir.sub("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        for line in service where line.key == "LoadCredential" {
            let parts = line.value.split(separator: ":", maxSplits: 1).map(String.init)
            let target = credentials + "/" + parts[0]
            try FileManager.default.copyItem(atPath: parts[1], toPath: target)
            #expect(chown(target, uid, gid) == 0 && chmod(target, 0o400) == 0)
        }
        #expect(chown(credentials, uid, gid) == 0 && chmod(credentials, 0o500) == 0)
        #expect(chmod(dir.path, 0o755) == 0)
        env["CREDENTIALS_DIRECTORY"] = credentials
        let stateDir = "/var/lib/" + (try #require(Self.value(service, "StateDirectory")))
        #expect(Self.mode(stateDir)?.uid == uid, "the state directory must be the service user's")

        // The control socket at the socket unit's address, bound by the daemon itself as the service user in
        // the directory systemd would make (socket activation itself is SocketTests' and SystemdTests').
        // Traced, so that every system call the installed daemon makes is checked against the installed filter.
        let runDir = (listen as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        #expect(chown(runDir, uid, gid) == 0)
        let traced = dir.sub("strace.txt")
        var tracer = [UnitFileTests.strace!, "-f", "-qq", "-c", "-U", "name", "-o", traced, "-u", user]
        // PrivateUsers= as systemd sets it up: a user namespace where only root and the service's own user and
        // group are themselves, everyone else nobody.
        if let privateUsers = Self.value(service, "PrivateUsers"), ["yes", "true", "1", "on", "self"].contains(privateUsers) {
            tracer = ["/usr/bin/python3", TestPaths.repoRoot + "/Tests/support/userns.py", String(uid), String(gid), "--"] + tracer
        }
        let daemon = try launch(exec[0], Array(exec.dropFirst()), env: env, wrapper: tracer, log: dir.sub("daemon.log"))
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        if let mode = Self.value(socketUnit, "SocketMode").flatMap({ mode_t($0, radix: 8) }) {
            #expect(waitUntil { FileManager.default.fileExists(atPath: listen) })
            _ = chmod(listen, mode)
        }
        let ready = waitUntil(timeout: 30) {
            (try? run("/usr/bin/firebreak", ["incidents"]))?.status == 0 && (try? run("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:8080/"]))?.status == 0
        }
        try #require(ready, "the installed daemon did not answer:\n\(String(decoding: readBytes(dir.sub("daemon.log")), as: UTF8.self))")

        // Someone who is not root is known by their own name over the socket (the peer's uid) and in the spool
        // (the file's owner): the daemon must see other users' uids as they are.
        if DaemonHarness.usersReady {
            let kim = DaemonHarness.reporterUser
            let whoami = try run("/usr/sbin/runuser", ["-u", kim, "--", "/usr/bin/firebreak", "whoami"])
            #expect(whoami.status == 0 && whoami.stdout.hasPrefix("\(kim) is \(kim)"), "\(whoami.stdout)\(whoami.stderr)")
        } else {
            Issue.record("no test users (useradd as root): the installed daemon was not checked with a user other than root")
        }

        // An employee reports a post with the installed command over the installed socket path.
        let report = try run("/usr/bin/firebreak", ["report", "https://x.com/leaker/status/42", "--category", "confidential-information", "--text", "Q3 figures before the results"])
        #expect(report.status == 0 && report.stdout.contains("INC-1"), "\(report.stdout)\(report.stderr)")
        // The step owners hear about it on their webhooks.
        let delivered = sink.waitFor(count: 1, timeout: 30) { ($0["path"]?.stringValue ?? "").hasPrefix("/ok/") }
        #expect(!delivered.isEmpty, "no webhook arrived:\n\(String(decoding: readBytes(dir.sub("daemon.log")), as: UTF8.self))")
        #expect(delivered.contains { ($0["body"]?.stringValue ?? "").contains("INC-1") }, "\(delivered)")

        // The report form, from the served address, through the sign-in link the installed command gives.
        let login = try run("/usr/bin/firebreak", ["web-login", "--json"])
        let link = try #require((try? JSONParser.parse(login.stdout))?["url"]?.stringValue, "\(login.stdout)\(login.stderr)")
        #expect(link.hasPrefix("http://127.0.0.1:8080/"))
        let jar = dir.sub("cookies")
        _ = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-c", jar, link])
        let form = try run("/usr/bin/curl", ["-s", "-b", jar, "-w", "\n%{http_code}", "http://127.0.0.1:8080/report"])
        #expect(form.stdout.hasSuffix("\n200") && form.stdout.contains("<form"), "\(form.stdout.suffix(400))")

        // A report handed in through the installed spool, as a script would: written in tmp/, renamed into new/,
        // taken, made durable and moved to done/, and its receipt shown to its owner.
        let spool = "/var/spool/firebreak"
        let dropped = Array(#"{"url":"https://x.com/leaker/status/43","category":"confidential-information"}"#.utf8)
        #expect(FileManager.default.createFile(atPath: spool + "/tmp/installed-1", contents: Data(dropped)))
        let kim = getpwnam(DaemonHarness.reporterUser)
        if let kim { #expect(chown(spool + "/tmp/installed-1", kim.pointee.pw_uid, kim.pointee.pw_gid) == 0) }
        #expect(rename(spool + "/tmp/installed-1", spool + "/new/installed-1") == 0)
        #expect(waitUntil(timeout: 30) { FileManager.default.fileExists(atPath: spool + "/done/installed-1") },
                "\(String(decoding: readBytes(dir.sub("daemon.log")), as: UTF8.self))")
        // The receipt is its owner's to read.
        let receipt = kim != nil ? try run("/usr/sbin/runuser", ["-u", DaemonHarness.reporterUser, "--", "/usr/bin/firebreak", "reports", "--file", "installed-1"])
                                 : try run("/usr/bin/firebreak", ["reports", "--file", "installed-1"])
        #expect(receipt.status == 0 && receipt.stdout.contains("INC-2"), "\(receipt.stdout)\(receipt.stderr)")
        if kim != nil {
            let journal = String(decoding: readBytes(stateDir + "/journal/00000001.jsonl"), as: UTF8.self)
            let received = journal.split(separator: "\n").filter { $0.contains(#""type":"report.received""#) && $0.contains("leaker/status/43") }
            #expect(received.count == 1 && received[0].contains(#""actor":"\#(DaemonHarness.reporterUser)""#), "the spool file's owner is its reporter: \(received)")
        }

        // A clean stop seals the journal; it verifies with the key the installation generated. (SIGTERM to the
        // daemon, strace's child: strace itself would only detach.)
        let daemonPID = try #require(Self.descendant(of: daemon.processIdentifier, named: "firebreakd"), "the daemon under strace")
        kill(daemonPID, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0, "\(String(decoding: readBytes(dir.sub("daemon.log")), as: UTF8.self))")
        let verify = try run("/usr/bin/firebreak", ["journal", "verify", stateDir + "/journal", "--key", "/etc/firebreak/journal-signing-key.pub"])
        #expect(verify.status == 0 && verify.stdout.contains("signed by key"), "\(verify.stdout)\(verify.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stateDir + "/journal-signing-key"), "the daemon did not find the unit's credential and made a key of its own")

        // The installed unit's filter allows every call the installed daemon made.
        let allowed = try UnitFileTests.allowedSystemCalls(unit: try String(contentsOfFile: "/usr/lib/systemd/system/firebreakd.service", encoding: .utf8))
        #expect(waitUntil { !readBytes(traced).isEmpty })
        let made = String(decoding: readBytes(traced), as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            // Only the summary's rows (a bare call name each); strace also writes lines such as
            // "24015 ???( <detached ...>" for a thread that ends while traced, which are no calls.
            .filter { line in !line.isEmpty && line.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }
            .filter { $0 != "syscall" && $0 != "total" }
        #expect(made.count > 30 && made.contains("connect"), "\(made)")
        #expect(made.filter { !allowed.contains($0) }.isEmpty, "calls the installed unit's filter would refuse: \(made.filter { !allowed.contains($0) })")
        // systemd's own checks of the installed units.
        let analyze = try run(UnitFileTests.analyze!, ["verify", "/usr/lib/systemd/system/firebreakd.service", "/usr/lib/systemd/system/firebreakd.socket"])
        #expect(analyze.status == 0 && (analyze.stdout + analyze.stderr).isEmpty, "\(analyze.stdout)\(analyze.stderr)")

        // remove: the service's files go, the configuration and the journal stay.
        let journalBytes = readBytes(stateDir + "/journal/00000001.jsonl")
        #expect(!journalBytes.isEmpty)
        let removed = try run("/usr/bin/dpkg", ["-r", "firebreak"])
        #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/usr/sbin/firebreakd"))
        #expect(FileManager.default.fileExists(atPath: "/etc/firebreak/firebreak.yaml") && FileManager.default.fileExists(atPath: "/etc/firebreak/journal-signing-key"))
        #expect(readBytes(stateDir + "/journal/00000001.jsonl") == journalBytes)
        // purge: the configuration goes, never the journal; its public key is kept beside it.
        let purged = try run("/usr/bin/dpkg", ["-P", "firebreak"])
        #expect(purged.status == 0, "\(purged.stdout)\(purged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/etc/firebreak"))
        #expect(readBytes(stateDir + "/journal/00000001.jsonl") == journalBytes, "purge touched the journal")
        let kept = try run(productPath("firebreak"), ["journal", "verify", stateDir + "/journal", "--key", stateDir + "/journal-signing-key.purged.pub"])
        #expect(kept.status == 0, "the journal kept after purge does not verify with the key kept beside it: \(kept.stdout)\(kept.stderr)")
        _ = try Self.sh("rm -rf /var/lib/firebreak /var/spool/firebreak")
    }
}
