import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A line on stderr saying how far a long read has got, rewritten in place; only on a terminal, so pipes,
/// logs and scripts see nothing of it.
final class ProgressLine {
    private let label: String
    private var lastShown: ContinuousClock.Instant?
    private var shown = false

    /// Nil when stderr is not a terminal.
    init?(label: String) {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        self.label = label
    }

    /// At most five times a second, and not at the end (the result follows).
    func show(_ done: Int, of total: Int) {
        let now = ContinuousClock.now
        guard done < total, lastShown.map({ now - $0 >= .milliseconds(200) }) ?? true else { return }
        lastShown = now
        let percent = total > 0 ? done * 100 / total : 100
        writeStderr("\r\(label): \(Self.megabytes(done)) of \(Self.megabytes(total)) MB (\(percent)%)\u{1B}[K")
        shown = true
    }

    /// Takes the line away before the result is printed.
    func clear() {
        if shown { writeStderr("\r\u{1B}[K") }
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes >= 10_000_000 ? String(bytes / 1_000_000) : String(format: "%.1f", Double(bytes) / 1e6)
    }

    private func writeStderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
