import Synchronization

/// A value that is set exactly once and awaited by one task: the first ``resolve(_:)`` wins,
/// later ones are ignored; ``value()`` returns at once if the value is already there.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Value, Never>?)
        case resolved(Value)
    }

    private let state = Mutex(State.waiting(nil))

    init() {}

    /// Sets the value and wakes the waiter; returns false (and does nothing) if already set.
    @discardableResult
    func resolve(_ value: Value) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Never>?? in
            guard case .waiting(let continuation) = state else { return .none }
            state = .resolved(value)
            return .some(continuation)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: value)
        return true
    }

    /// The value, waiting for it if needed. One waiter only.
    func value() async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            let ready = state.withLock { state -> Value? in
                switch state {
                case .resolved(let value): return value
                case .waiting: 
                    state = .waiting(continuation)
                    return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
