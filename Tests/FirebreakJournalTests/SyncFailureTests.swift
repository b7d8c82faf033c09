import FirebreakCore
@testable import FirebreakJournal
import Foundation
import Testing
@testable import FirebreakTestSupport

/// A failed fdatasync must never be retried or papered over: the writer stops, every waiting append fails,
/// and no later append is accepted.
@Suite struct SyncFailureTests {
    /// A data-sync call that succeeds `good` times, then fails with EIO for ever.
    static func failing(after good: Int, calls: Counter) -> DataSync {
        DataSync { fd in
            calls.add()
            return calls.value > good ? EIO : DataSync.system.call(fd)
        }
    }

    @Test func aFailedSyncFailsItsAppendsAndStopsTheWriterForGood() async throws {
        let dir = TempDir()
        let calls = Counter()
        let fatal = Counter()
        var options = JournalOptions()
        options.dataSync = Self.failing(after: 3, calls: calls)
        options.onFatal = { error in
            #expect(error.code == .syncFailed)
            fatal.add()
        }
        let journal = try Journal.open(directory: dir.path, options: options)
        var acknowledged: [JournalRecord] = []
        for n in 1...3 { acknowledged.append(try await journal.append(entry(n))) }
        await #expect { try await journal.append(entry(4)) } throws: { ($0 as? JournalError)?.code == .syncFailed }
        // Never retried: later appends fail at once without touching the disk.
        await #expect { try await journal.append(entry(5)) } throws: { ($0 as? JournalError)?.code == .writerFailed }
        #expect(calls.value == 4)
        #expect(fatal.value == 1)
        await #expect { try await journal.close() } throws: { ($0 as? JournalError)?.code == .syncFailed }

        // What was acknowledged is there; what was not is not (the failed batch was cut off).
        var read: [JournalRecord] = []
        let scan = try JournalReader.scan(directory: dir.path) { read.append($0) }
        #expect(scan.problem == nil)
        #expect(read == acknowledged)
    }

    /// The desk syncs on its own thread: a failed sync there stops the writer thread too, and nothing queued
    /// behind it is written.
    @Test func aFailedSyncOnTheCallersThreadStopsTheJournal() async throws {
        let dir = TempDir()
        let calls = Counter()
        let fatal = Counter()
        var options = JournalOptions()
        options.dataSync = Self.failing(after: 2, calls: calls)
        options.onFatal = { _ in fatal.add() }
        let journal = try Journal.open(directory: dir.path, options: options)
        let acknowledged = try journal.appendNow([entry(1)]) + [try await journal.append(entry(2))]
        #expect { try journal.appendNow([entry(3)]) } throws: { ($0 as? JournalError)?.code == .syncFailed }
        await #expect { try await journal.append(entry(4)) } throws: { ($0 as? JournalError)?.code == .writerFailed }
        #expect { try journal.appendNow([entry(5)]) } throws: { ($0 as? JournalError)?.code == .writerFailed }
        #expect(calls.value == 3 && fatal.value == 1)
        await #expect { try await journal.close() } throws: { ($0 as? JournalError)?.code == .syncFailed }
        var read: [JournalRecord] = []
        let scan = try JournalReader.scan(directory: dir.path) { read.append($0) }
        #expect(scan.problem == nil && read == acknowledged)
    }

    @Test func concurrentAppendersWaitingOnAFailedSyncAllFail() async throws {
        let dir = TempDir()
        let calls = Counter()
        var options = JournalOptions()
        options.dataSync = Self.failing(after: 0, calls: calls)
        let journal = try Journal.open(directory: dir.path, options: options)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<32 {
                group.addTask { (try? await journal.append(entry(n))) != nil }
            }
            var successes = 0
            for await ok in group where ok { successes += 1 }
            return successes
        }
        #expect(outcomes == 0)
        #expect(calls.value == 1)
    }
}
