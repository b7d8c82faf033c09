/// Lets the deadline loop sleep until its next deadline yet wake at once when a new, earlier one is armed.
actor Wakeup {
    private var pending = false
    private var sleeper: Task<Void, Error>?

    /// Sleeps for `duration`, or less if `wake()` is called meanwhile (or was called since the last sleep).
    func sleep(for duration: Duration) async {
        if pending {
            pending = false
            return
        }
        let task = Task { try await Task.sleep(for: duration) }
        sleeper = task
        // The sleep is its own task (so `wake` can cancel it); cancelling the caller must cancel it too, or a
        // graceful stop would wait out the whole sleep.
        await withTaskCancellationHandler {
            _ = await task.result
        } onCancel: {
            task.cancel()
        }
        sleeper = nil
        pending = false
    }

    func wake() {
        pending = true
        sleeper?.cancel()
    }
}
