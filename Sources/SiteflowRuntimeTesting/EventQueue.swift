import Synchronization

/// A thread-safe FIFO of events that async code awaits with a bounded wait: the building block of
/// the test kit (no polling, no sleeping).
public final class EventQueue<Event: Sendable>: Sendable {
    private struct State {
        var buffer: [Event] = []
        var head = 0
        var waiter: (id: UInt64, continuation: CheckedContinuation<Event, any Error>)?
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates an empty queue.
    public init() {}

    /// Appends an event, waking a waiting ``next(within:)``. Callable from any thread.
    public func push(_ event: Event) {
        let waiter = state.withLock { s -> CheckedContinuation<Event, any Error>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter.continuation
            }
            s.buffer.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// Events queued and not yet taken.
    public var count: Int { state.withLock { $0.buffer.count - $0.head } }

    /// Takes the oldest event, waiting at most `timeout` for one; throws ``ProbeError/timedOut``.
    /// One waiter at a time.
    public func next(within timeout: Duration) async throws -> Event {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let waiter = self.state.withLock { s -> CheckedContinuation<Event, any Error>? in
                guard let waiter = s.waiter, waiter.id == id else { return nil }
                s.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(throwing: ProbeError.timedOut)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { s -> Event? in
                if s.head < s.buffer.count {
                    let event = s.buffer[s.head]
                    s.head += 1
                    if s.head > 64 && s.head * 2 > s.buffer.count {
                        s.buffer.removeFirst(s.head)
                        s.head = 0
                    }
                    return event
                }
                s.waiter = (id, continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
