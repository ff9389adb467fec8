import Synchronization

/// A one-shot gate: tasks wait on it until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Waits until the gate is open (returns at once if it is).
    func wait() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(waiter)
                return false
            }
            if open { waiter.resume() }
        }
    }

    /// Opens the gate and releases every waiter.
    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Collects values from concurrent tasks and lets a test wait until a count is reached.
final class Recorder<Value: Sendable>: Sendable {
    private let state = Mutex<(values: [Value], waiters: [(Int, CheckedContinuation<Void, Never>)])>(([], []))

    /// Records `value` and wakes the waiters whose count is reached.
    func record(_ value: Value) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.values.append(value)
            let count = state.values.count
            let ready = state.waiters.filter { $0.0 <= count }.map(\.1)
            state.waiters.removeAll { $0.0 <= count }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    /// The values recorded so far.
    var values: [Value] { state.withLock { $0.values } }

    /// Waits until at least `count` values were recorded.
    func waitFor(count: Int) async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.values.count >= count { return true }
                state.waiters.append((count, waiter))
                return false
            }
            if ready { waiter.resume() }
        }
    }
}
