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
    private typealias Ack = CheckedContinuation<Result<ChatMessage, StoreError>, Never>

    private struct State: ~Copyable {
        var pending: [(NewMessage, Ack)] = []
        var loopWaiting: CheckedContinuation<Void, Never>?
        var closed = false
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

    /// Queues `message` for the next group commit and returns it as stored once committed (for a
    /// retried idempotency key: the message stored the first time).
    /// - Throws: ``StoreError`` `invalidMessage`/`messageTooLarge` at once for a bad message;
    ///   the commit's error (e.g. `unavailable`) if its batch failed; `closed` after ``close()``.
    public func write(_ message: NewMessage) async throws(StoreError) -> ChatMessage {
        try store.limits.validate(message)
        let result = await withCheckedContinuation { (ack: Ack) in
            let (accepted, wake) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                if state.closed { return (false, nil) }
                state.pending.append((message, ack))
                let wake = state.loopWaiting
                state.loopWaiting = nil
                return (true, wake)
            }
            if !accepted { ack.resume(returning: .failure(StoreError(.closed, "the message writer is closed"))) }
            wake?.resume()
        }
        return try result.get()
    }

    /// Stops taking messages, commits the ones already queued, and waits for the loop to end.
    public func close() async {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
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
        while true {
            let batch = await nextBatch()
            guard !batch.isEmpty else { return }
            var transaction = StoreTransaction(limits: store.limits)
            transaction.reserveCapacity(batch.count)
            for (message, _) in batch { transaction.insertValidatedMessage(message) }
            do {
                let result = try await store.commit(transaction)
                if result.messages.count == batch.count {
                    for (index, (_, ack)) in batch.enumerated() { ack.resume(returning: .success(result.messages[index])) }
                } else {
                    let error = StoreError(.queryFailed, "the store returned \(result.messages.count) messages for \(batch.count)")
                    for (_, ack) in batch { ack.resume(returning: .failure(error)) }
                }
            } catch {
                for (_, ack) in batch { ack.resume(returning: .failure(error)) }
            }
        }
    }

    /// The queued messages (at most ``maxBatch``), waiting for some if there are none; empty once
    /// closed and drained.
    private func nextBatch() async -> [(NewMessage, Ack)] {
        while true {
            let taken = state.withLock { state -> [(NewMessage, Ack)]? in
                if state.pending.isEmpty { return state.closed ? [] : nil }
                if state.pending.count <= maxBatch {
                    var batch: [(NewMessage, Ack)] = []
                    batch.reserveCapacity(state.pending.count)
                    swap(&batch, &state.pending)
                    return batch
                }
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(maxBatch)
                return batch
            }
            if let taken { return taken }
            await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.pending.isEmpty || state.closed { return true }
                    state.loopWaiting = wake
                    return false
                }
                if resumeNow { wake.resume() }
            }
        }
    }
}
