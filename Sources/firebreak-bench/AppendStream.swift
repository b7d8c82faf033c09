import ArgumentParser
import FirebreakCore
import FirebreakJournal
#if canImport(Glibc)
import Glibc
#endif

/// A load generator that says which appends were acknowledged: the crash and fault tests kill it, or make
/// its fdatasync fail, and then check that every `ACK` line it printed is in the journal.
struct AppendStream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append-stream",
        abstract: "Append records from concurrent appenders, printing `ACK <seq> <writer> <n>` once each is durable.",
        discussion: "Exits 0 after --count appends per appender, 3 when the journal fails (a failed fdatasync)."
    )

    @Argument(help: "The journal directory.")
    var directory: String

    @Option(help: "Concurrent appenders.")
    var appenders = 8

    @Option(help: "Appends per appender (0: until killed).")
    var count = 0

    @Option(help: "Segment size in bytes (small values exercise rotation).")
    var segmentBytes = 64 << 20

    @Option(help: "A private key file: sign checkpoints.")
    var signingKey: String?

    @Option(help: "Checkpoint after this many records.")
    var checkpointEvery = 1000

    func run() async throws {
        var options = JournalOptions()
        options.maxSegmentBytes = segmentBytes
        options.checkpointEveryRecords = checkpointEvery
        options.systemActor = "append-stream"
        if let signingKey { options.signer = try CheckpointSigner.load(path: signingKey) }
        let journal: Journal
        do {
            journal = try Journal.open(directory: directory, options: options)
        } catch {
            emit("ERROR \(error)")
            throw ExitCode(2)
        }
        if let torn = journal.recovery.tornTail {
            emit("RECOVERED \(torn.bytes) bytes at \(torn.location) moved to \(torn.movedTo)")
        }
        emit("READY \(journal.recovery.lastSeq)")
        let count = self.count
        let failed = await withTaskGroup(of: Bool.self) { group in
            for writer in 0..<appenders {
                group.addTask {
                    var n = 0
                    while count == 0 || n < count {
                        n += 1
                        let entry = JournalEntry(
                            time: JournalOptions.systemClock(), type: "bench.append", actor: "writer-\(writer)",
                            data: ["writer": .int(Int64(writer)), "n": .int(Int64(n)), "note": "load from append-stream"])
                        do {
                            let record = try await journal.append(entry)
                            emit("ACK \(record.seq) \(writer) \(n)")
                        } catch {
                            emit("FAIL \(writer) \(n) \(error)")
                            return true
                        }
                    }
                    return false
                }
            }
            return await group.contains(true)
        }
        do {
            try await journal.close()
        } catch {
            emit("FAIL close \(error)")
            throw ExitCode(3)
        }
        if failed { throw ExitCode(3) }
    }
}
