import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The baseline for durable ingest: PostgreSQL (Debian's package), started here on loopback in a data directory
/// on the same disk, storing the same report as one row per transaction with `synchronous_commit=on`, driven by
/// pgbench with as many clients (and threads) as the daemon gets. pgbench is PostgreSQL's own load generator: a
/// C client with prepared statements, so the baseline is given its best case.
struct PostgresBaseline {
    let bin: String
    let data: String
    let port: Int
    let asUser: [String]

    /// Debian's newest PostgreSQL, or nil with the reason.
    static func find() -> String? {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        guard let v = versions.last, FileManager.default.isExecutableFile(atPath: "\(base)/\(v)/bin/pg_ctl") else { return nil }
        return "\(base)/\(v)/bin"
    }

    static func start(in dir: String) throws -> PostgresBaseline {
        let port = freePort()
        guard let bin = find() else {
            throw ValidationError("PostgreSQL is not installed (apt-get install -y postgresql), or pass --no-postgres")
        }
        let dir = dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
        let data = dir + "/pg"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        // initdb and the server refuse to run as root: run them as Debian's postgres user.
        var asUser: [String] = []
        if getuid() == 0 {
            guard let pw = getpwnam("postgres") else { throw ValidationError("running as root and there is no postgres user to run PostgreSQL as") }
            chown(dir, pw.pointee.pw_uid, pw.pointee.pw_gid)
            chown(data, pw.pointee.pw_uid, pw.pointee.pw_gid)
            asUser = ["/usr/sbin/runuser", "-u", "postgres", "--"]
        }
        let pg = PostgresBaseline(bin: bin, data: data, port: port, asUser: asUser)
        try pg.run(pg.asUser + ["\(bin)/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8"], quiet: true)
        let options = "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=on -c synchronous_commit=on "
            + "-c full_page_writes=on -c max_connections=200 -c shared_buffers=256MB"
        try pg.run(pg.asUser + ["\(bin)/pg_ctl", "-D", data, "-l", data + "/server.log", "-o", options, "-w", "start"], quiet: true)
        try pg.run(["\(bin)/psql", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-c", Self.schema], quiet: true)
        return pg
    }

    /// What an incident tool would keep of a report: the same fields the daemon journals.
    static let schema = """
        CREATE TABLE reports (id bigserial PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(), reporter text NOT NULL,
                              url text NOT NULL, category text, body jsonb NOT NULL);
        CREATE INDEX reports_url ON reports (url);
        """

    /// Reports/s and per-insert latencies (ns) with `clients` clients for `seconds`.
    func ingest(clients: Int, seconds: Double, in dir: String) throws -> (rate: Double, latencies: [UInt64]) {
        let script = dir + "/insert.sql"
        try """
            \\set k random(0, 499)
            INSERT INTO reports (reporter, url, category, body) VALUES ('kim', 'https://x.com/b' || :client_id || '/status/' || :k, 'negative-viral', jsonb_build_object('url', 'https://x.com/b' || :client_id || '/status/' || :k, 'category', 'negative-viral'));
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let logs = dir + "/pgbench-\(clients)"
        try? FileManager.default.removeItem(atPath: logs)
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        try run(["\(bin)/pgbench", "-n", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-M", "prepared", "-f", script,
                 "-c", "\(clients)", "-j", "\(clients)", "-T", "\(Int(seconds.rounded()))", "-l", "--log-prefix=\(logs)/log", "postgres"], quiet: true)
        var latencies: [UInt64] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: logs) {
            let text = try String(contentsOfFile: logs + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                // client_id transaction_no time script_no time_epoch time_us: `time` is the latency in µs.
                let fields = line.split(separator: " ")
                if fields.count >= 3, let us = UInt64(fields[2]) { latencies.append(us * 1000) }
            }
        }
        return (Double(latencies.count) / seconds, latencies)
    }

    /// A loopback TCP port nobody listens on now (the kernel's pick for port 0).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func stop() {
        try? run(asUser + ["\(bin)/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], quiet: true)
    }

    /// Runs a command to its end. posix_spawn and waitpid rather than Foundation's Process, whose wait never
    /// returned here once pg_ctl had left the server running behind it.
    private func run(_ command: [String], quiet: Bool) throws {
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("firebreak-bench-pg-\(getpid()).err").path
        defer { unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if quiet { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
        // A file, not a pipe: the server pg_ctl starts inherits it and would hold a pipe open for good.
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // An empty signal mask and default handlers: a thread of ours may block SIGALRM, which pgbench's -T
        // relies on to stop (it ran on for minutes without this).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, &argv, environ)
        guard spawned == 0 else { throw ValidationError("cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let message = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw ValidationError("\(command.joined(separator: " ")) failed (status \(status)): \(message)")
        }
    }
}
