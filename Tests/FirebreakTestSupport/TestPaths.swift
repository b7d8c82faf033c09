import Foundation

/// Where the repository and the tools the tests drive are.
enum TestPaths {
    /// The checkout: the shipped Playbooks/, Tests/support's receivers and fixtures, docs/.
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// Debian's fiu-utils, which makes chosen system calls fail (the fdatasync fault tests).
    static let fiuRun = ["/usr/bin/fiu-run", "/usr/local/bin/fiu-run"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
