public import SiteflowRuntime
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
/// - If the committing process ends without ``close()`` (the runtime shut down, it was killed),
///   every queued message fails with `closed` and later ones are refused: none waits for ever.
///
/// Commits run in one process of the runtime (kind `message_writer`, an ``AsyncGenServer``):
/// woken when the queue gets its first message, it takes the whole queue (up to ``maxBatch``)
/// under a lock, commits it, completes the senders, and repeats until the queue is empty; it
/// holds no task per message and no task while idle.
///
/// - Note: The committing process keeps running (and keeps the writer alive) until ``close()``;
///   call it before closing the store.
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
        /// Whether the committer was woken and has not yet found the queue empty.
        var committing = false
        var closed = false
    }

    /// One batch taken off the queue.
    private struct Batch {
        var messages: [NewMessage]
        var acks: [Ack]
    }

    /// The store the messages go to.
    public let store: any MessageStore
    /// Most messages committed in one transaction.
    public let maxBatch: Int
    private let state = Mutex(State())
    /// The committing process (set once, right after it starts).
    private let committer = Mutex<ServerRef<MessageCommitter>?>(nil)

    /// Creates a writer for `store` and starts its committing process on `runtime`, unsupervised:
    /// if that process ends, queued and later messages fail with `closed`.
    /// - Parameter maxBatch: most messages per transaction (default 2,000).
    /// - Throws: the ``SpawnError`` (wrapped in ``ServerStartError``) if the process cannot start.
    public init(store: any MessageStore, runtime: Runtime, maxBatch: Int = 2000) async throws {
        self.store = store
        self.maxBatch = max(1, maxBatch)
        let started = try await MessageCommitter.start(MessageCommitter(writer: self), runtime: runtime)
        committer.withLock { $0 = started }
        runtime.onExit(of: started.id) { [self] _, _ in failQueued() }
    }

    /// Creates a writer for `store` whose committing process a supervisor runs: add
    /// ``committerSpec(id:name:)`` to one. Messages queue until the process has started.
    /// - Parameter maxBatch: most messages per transaction (default 2,000).
    public init(store: any MessageStore, maxBatch: Int = 2000) {
        self.store = store
        self.maxBatch = max(1, maxBatch)
    }

    /// The child specification of this writer's committing process (kind `message_writer`,
    /// registered under `name`), for a writer made with ``init(store:maxBatch:)``.
    ///
    /// The child is `transient`: ``close()`` ends it normally and it stays down; killed or
    /// crashed, its supervisor starts a new one, which takes over the queue — a process is
    /// ended only between messages, so no batch is ever half taken, and the messages queued
    /// meanwhile are committed by the new process (none is failed or dropped). An orderly end
    /// without ``close()`` (its supervisor shutting down) fails what is queued with `closed`.
    public func committerSpec(id: String = "message_writer", name: String? = nil) -> ChildSpec {
        ChildSpec(id: id, restart: .transient) { [self] context in
            let started = try await MessageCommitter.start(
                MessageCommitter(writer: self), runtime: context.runtime,
                options: context.spawnOptions(basedOn: SpawnOptions(name: name)))
            adopt(started, runtime: context.runtime)
            return started.id
        }
    }

    /// Makes `started` the committing process, wakes it if messages wait, and fails the queue if
    /// it ends in an orderly way (its supervisor stopping it) without ``close()``.
    private func adopt(_ started: ServerRef<MessageCommitter>, runtime: Runtime) {
        committer.withLock { $0 = started }
        let wake = state.withLock { state -> Bool in
            if state.messages.isEmpty {
                state.committing = false
                return false
            }
            state.committing = true
            return true
        }
        if wake { started.info(.commitQueued) }
        runtime.onExit(of: started.id) { [self] _, reason in
            if reason.isOrderly { failQueued() }
        }
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
        let (accepted, wake) = state.withLock { state -> (Bool, Bool) in
            if state.closed { return (false, false) }
            state.messages.append(message)
            state.acks.append(ack)
            if state.committing { return (true, false) }
            state.committing = true
            return (true, true)
        }
        if !accepted { ack.complete(.failure(StoreError(.closed, "the message writer is closed"))) }
        if wake, let committer = committer.withLock({ $0 }) { committer.info(.commitQueued) }
    }

    /// Stops taking messages, commits the ones already queued, and waits for the committing
    /// process to end.
    public func close() async {
        state.withLock { $0.closed = true }
        let committer = committer.withLock { $0 }
        // Answered once the queue is committed; fails at once if the committer has ended, and
        // then nobody will commit what is queued: fail it.
        do {
            try await committer?.call(.close, timeout: nil)
        } catch {
            failQueued()
        }
        if committer == nil { failQueued() }
    }

    /// The committer: commits the queue, batch after batch, until it is empty.
    fileprivate func commitQueued() async {
        while let batch = nextBatch() {
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

    /// The queued messages (at most ``maxBatch``); nil, and the committer marked idle, when the
    /// queue is empty.
    private func nextBatch() -> Batch? {
        state.withLock { state -> Batch? in
            if state.messages.isEmpty {
                state.committing = false
                return nil
            }
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
    }

    /// The committer ended: refuse new messages and fail the queued ones with `closed`.
    private func failQueued() {
        let acks = state.withLock { state -> [Ack] in
            state.closed = true
            state.messages = []
            defer { state.acks = [] }
            return state.acks
        }
        let error = StoreError(.closed, "the message writer's committing process ended")
        for ack in acks { ack.complete(.failure(error)) }
    }
}

/// The process that commits a ``MessageWriter``'s queue: woken by the first message queued after
/// it went idle, it commits until the queue is empty. Being one server, it never runs two commits
/// at once; ``Call/close`` is answered after the queue is committed, then it stops.
struct MessageCommitter: AsyncGenServer {
    enum Call: Sendable {
        /// Commit what is queued, answer, and stop.
        case close
    }

    enum Info: Sendable {
        /// The queue has messages.
        case commitQueued
    }

    static var kind: String { "message_writer" }

    let writer: MessageWriter

    mutating func handleCall(_ request: Call, from caller: Caller<Void>, context: ServerContext<MessageCommitter>) async throws -> CallResult<Void> {
        await writer.commitQueued()
        return .stop(.normal, reply: ())
    }

    mutating func handleInfo(_ message: Info, context: ServerContext<MessageCommitter>) async throws {
        await writer.commitQueued()
    }
}
