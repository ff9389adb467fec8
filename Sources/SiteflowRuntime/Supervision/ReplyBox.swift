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

/// The reply half of a request sent to a supervisor process: travels inside the message, is
/// answered at most once, and — if the message is dropped unanswered (the supervisor ended, its
/// mailbox was discarded or refused the message) — answers
/// ``SupervisorError/Code-swift.struct/supervisorNotRunning`` when it is released, so a caller
/// never waits for a reply that cannot come.
final class ReplyBox<Value: Sendable>: Sendable {
    private let slot: OneShot<Result<Value, SupervisorError>>

    private init(slot: OneShot<Result<Value, SupervisorError>>) {
        self.slot = slot
    }

    deinit {
        slot.resolve(.failure(SupervisorError(.supervisorNotRunning)))
    }

    /// Answers the request (only the first answer counts).
    func reply(_ result: Result<Value, SupervisorError>) {
        slot.resolve(result)
    }

    /// Makes a box, lets `send` put it into a message and deliver it, and waits for the answer.
    /// The caller keeps no reference to the box, so dropping the message answers the request.
    static func request(
        _ send: (ReplyBox<Value>) -> DeliveryResult
    ) async -> Result<Value, SupervisorError> {
        let slot = OneShot<Result<Value, SupervisorError>>()
        let delivery = send(ReplyBox(slot: slot))
        if delivery != .queued {
            slot.resolve(.failure(SupervisorError(.supervisorNotRunning)))
        }
        return await slot.value()
    }
}
