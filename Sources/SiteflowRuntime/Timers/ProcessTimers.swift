extension Runtime {
    /// Sends `message` to `process` after `delay` (Erlang's `send_after`). If the process has
    /// ended by then the message is dropped. Cancel with ``cancelTimer(_:)``.
    @discardableResult
    public func sendAfter<Message: Sendable>(_ message: Message, to process: PID<Message>, after delay: Duration) -> TimerHandle {
        timers.schedule(after: delay) { process.send(message) }
    }

    /// Sends `message` to `process` every `interval` until cancelled or until the process ends
    /// (then the timer cancels itself, as `timer:send_interval` does when its target dies).
    @discardableResult
    public func sendInterval<Message: Sendable>(_ message: Message, to process: PID<Message>, every interval: Duration) -> TimerHandle {
        let handle = TimerHandleBox()
        let timers = self.timers
        let scheduled = timers.scheduleRepeating(every: interval) {
            if process.deliver(message) == .deadProcess, let own = handle.value { timers.cancel(own) }
        }
        handle.value = scheduled
        return scheduled
    }

    /// Cancels a timer; returns whether it was still pending (a fired one-shot returns false).
    @discardableResult
    public func cancelTimer(_ handle: TimerHandle) -> Bool {
        timers.cancel(handle)
    }
}

import Synchronization

/// Lets a repeating timer's action find its own handle (set once, right after scheduling).
private final class TimerHandleBox: Sendable {
    private let storage = Mutex<TimerHandle?>(nil)
    var value: TimerHandle? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
