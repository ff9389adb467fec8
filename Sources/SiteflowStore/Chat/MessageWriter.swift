import Synchronization

/// Persists chat messages with group commit: messages that arrive while a commit is in flight
/// are gathered and committed together in the next transaction, and each sender's
/// ``write(_:)`` returns only after the transaction holding its message has committed.
///
/// Guarantees:
/// - An acknowledged message (``write(_:)`` returned) is committed; a failed commit (database
///   unavailable, …) fails every message of that batch with its ``StoreError`` — none is dropped
///   silently and none is acknowledged without being stored.
/// - Invalid or oversized messages are refused before they are queued.
/// - Retrying with the same idempotency key after an error stores the message at most once.
///
/// It is an actor-free loop: one task takes the whole queue (up to ``maxBatch``) under a lock,
/// commits it, completes the senders and repeats; it holds no task-per-message.
///
/// - Note: The commit loop keeps running (and keeps the writer alive) until ``close()``; call it
///   before closing the store.
public final class MessageWriter: Sendable {
    /// What is told a message's outcome: a waiting ``write(_:)`` (an unsafe continuation, no
    /// per-message checking allocation) or a ``submit(_:onCommit:)`` callback. Each is completed
    /// exactly once — refused at once when the writer is closed, or else queued, taken by
    /// exactly one batch, and completed when that batch's commit ends.
    private enum Ack {
        case waiting(UnsafeContinuation<Result<ChatMessage, StoreError>, Never>)
        case callback(@Sendable (Result<ChatMessage, StoreError>) -> Void)

        func complete(_ result: Result<ChatMessage, StoreError>) {
            switch self {
            case .waiting(let continuation): continuation.resume(returning: result)
            case .callback(let callback): callback(result)
            }
        }
    }

    private struct State: ~Copyable {
        /// Queued messages and, at the same index, their senders.
        var messages: [NewMessage] = []
        var acks: [Ack] = []
        var loopWaiting: UnsafeContinuation<Void, Never>?
        var closed = false
    }

    /// One batch taken off the queue.
    private struct Batch {
        var messages: [NewMessage]
        var acks: [Ack]
    }

    /// The store the messages go to.
    public let store: any Store
    /// Most messages committed in one transaction.
    public let maxBatch: Int
    private let state = Mutex(State())
    private let loop = Mutex<Task<Void, Never>?>(nil)

    /// Creates a writer for `store` and starts its commit loop.
    /// - Parameter maxBatch: most messages per transaction (default 2,000).
    public init(store: any Store, maxBatch: Int = 2000) {
        self.store = store
        self.maxBatch = max(1, maxBatch)
        let task = Task { [self] in await self.run() }
        loop.withLock { $0 = task }
    }

    /// The number of messages queued for the next commit (not counting the one in flight).
    public var queuedCount: Int { state.withLock { $0.messages.count } }

    /// Queues `message` for the next group commit and returns it as stored once committed (for a
    /// retried idempotency key: the message stored the first time).
    /// - Throws: ``StoreError`` `invalidMessage`/`messageTooLarge` at once for a bad message;
    ///   the commit's error (e.g. `unavailable`) if its batch failed; `closed` after ``close()``.
    public func write(_ message: NewMessage) async throws(StoreError) -> ChatMessage {
        try store.limits.validate(message)
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<ChatMessage, StoreError>, Never>) in
            enqueue(message, .waiting(continuation))
        }
        return try result.get()
    }

    /// Queues `message` for the next group commit now, in the caller's order, and calls
    /// `onCommit` with the message as stored once its transaction has committed (or with the
    /// commit's error). Messages submitted one after another get increasing ids, and their
    /// callbacks run one after another in that order on the writer's commit loop — so a sender
    /// that broadcasts from the callback broadcasts in the order it submitted. Keep callbacks
    /// short and non-blocking (send, reply, broadcast): the next commit waits for them.
    /// - Throws: ``StoreError`` `invalidMessage`/`messageTooLarge` at once for a bad message
    ///   (`onCommit` is not called). After ``close()``, `onCommit` gets `closed` at once.
    public func submit(_ message: NewMessage, onCommit: @escaping @Sendable (Result<ChatMessage, StoreError>) -> Void) throws(StoreError) {
        try store.limits.validate(message)
        enqueue(message, .callback(onCommit))
    }

    private func enqueue(_ message: NewMessage, _ ack: Ack) {
        let (accepted, wake) = state.withLock { state -> (Bool, UnsafeContinuation<Void, Never>?) in
            if state.closed { return (false, nil) }
            state.messages.append(message)
            state.acks.append(ack)
            let wake = state.loopWaiting
            state.loopWaiting = nil
            return (true, wake)
        }
        if !accepted { ack.complete(.failure(StoreError(.closed, "the message writer is closed"))) }
        wake?.resume()
    }

    /// Stops taking messages, commits the ones already queued, and waits for the loop to end.
    public func close() async {
        let wake = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.closed = true
            let wake = state.loopWaiting
            state.loopWaiting = nil
            return wake
        }
        wake?.resume()
        let task = loop.withLock { $0 }
        await task?.value
    }

    private func run() async {
        while let batch = await nextBatch() {
            var transaction = StoreTransaction(limits: store.limits)
            transaction.insertValidatedMessages(batch.messages)
            do {
                let result = try await store.commit(transaction)
                if result.messages.count == batch.acks.count {
                    for (ack, message) in zip(batch.acks, result.messages) { ack.complete(.success(message)) }
                } else {
                    let error = StoreError(.queryFailed, "the store returned \(result.messages.count) messages for \(batch.acks.count)")
                    for ack in batch.acks { ack.complete(.failure(error)) }
                }
            } catch {
                for ack in batch.acks { ack.complete(.failure(error)) }
            }
        }
    }

    /// The queued messages (at most ``maxBatch``), waiting for some if there are none; nil once
    /// closed and drained.
    private func nextBatch() async -> Batch? {
        while true {
            let taken = state.withLock { state -> Batch?? in
                if state.messages.isEmpty { return state.closed ? .some(nil) : nil }
                if state.messages.count <= maxBatch {
                    var batch = Batch(messages: [], acks: [])
                    batch.messages.reserveCapacity(state.messages.count)
                    batch.acks.reserveCapacity(state.acks.count)
                    swap(&batch.messages, &state.messages)
                    swap(&batch.acks, &state.acks)
                    return batch
                }
                let batch = Batch(messages: Array(state.messages.prefix(maxBatch)), acks: Array(state.acks.prefix(maxBatch)))
                state.messages.removeFirst(maxBatch)
                state.acks.removeFirst(maxBatch)
                return batch
            }
            if let taken { return taken }
            await withUnsafeContinuation { (wake: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.messages.isEmpty || state.closed { return true }
                    state.loopWaiting = wake
                    return false
                }
                if resumeNow { wake.resume() }
            }
        }
    }
}
