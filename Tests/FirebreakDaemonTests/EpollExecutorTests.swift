@testable import FirebreakDaemon
import Foundation
import Synchronization
import Testing
@testable import FirebreakTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The desk's thread looks for work for a while after work before it sleeps in `epoll_wait`. Work handed to it,
/// and descriptors becoming ready, must reach it in both states: while it looks, and once it sleeps.
@Suite struct EpollExecutorTests {
    /// Waits up to 10 s for `body` to have run on the thread.
    private func runs(on thread: EpollExecutor, _ body: @escaping @Sendable () -> Void = {}) -> Bool {
        let done = DispatchSemaphore(value: 0)
        thread.perform { body(); done.signal() }
        return done.wait(timeout: .now() + 10) == .success
    }

    @Test func workHandedOverWhileItLooksAndOnceItSleepsIsRun() throws {
        let thread = try EpollExecutor(name: "test-desk")
        defer { thread.stop() }
        #expect(runs(on: thread))
        // Within the look after work (50 µs), and right after a body ran.
        for _ in 0..<200 { try #require(runs(on: thread)) }
        // Once the thread is asleep it must be woken.
        #expect(waitUntil { thread.isAsleep })
        #expect(runs(on: thread))
        #expect(waitUntil { thread.isAsleep })
        let onThread = Mutex(false)
        #expect(runs(on: thread) { onThread.withLock { $0 = thread.isCurrent } })
        #expect(onThread.withLock { $0 })
    }

    @Test func aDescriptorReadyWhileItLooksOrSleepsIsHandled() throws {
        let thread = try EpollExecutor(name: "test-desk")
        defer { thread.stop() }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let readable = DispatchSemaphore(value: 0)
        let read0 = fds[0]
        #expect(thread.watch(read0, for: .readable) { _ in
            var byte: UInt8 = 0
            _ = read(read0, &byte, 1)
            readable.signal()
        })
        defer { thread.unwatch(read0) }
        var one: UInt8 = 1
        for pause in [0, 10, 30, 100, 200_000] as [UInt32] {
            try #require(runs(on: thread))
            if pause > 0 { usleep(pause) }
            #expect(write(fds[1], &one, 1) == 1)
            try #require(readable.wait(timeout: .now() + 10) == .success, "not handled \(pause) µs after work")
        }
    }
}
