/// The writes of one transaction, collected by ``TransactionStore/transaction(_:)`` and committed together:
/// all of them or none.
///
/// It records operations and runs them at commit, so it works the same on SQLite (whose writes
/// are synchronous) and PostgreSQL; it cannot read inside the transaction.
public struct StoreTransaction: Sendable {
    /// One recorded write.
    enum Operation: Sendable {
        case message(NewMessage)
        case job(NewJob)
        case room(String)
    }

    private(set) var operations: [Operation] = []
    let limits: MessageLimits
    private(set) var validationError: StoreError?

    /// Creates an empty transaction that validates messages against `limits`.
    public init(limits: MessageLimits = MessageLimits()) {
        self.limits = limits
    }

    /// Adds a chat message (validated now; an invalid one makes the whole transaction fail
    /// before it reaches the database).
    public mutating func insertMessage(_ message: NewMessage) {
        do { try limits.validate(message) } catch { validationError = validationError ?? error }
        operations.append(.message(message))
    }

    /// Adds messages the caller has already validated against the same limits (the writer's
    /// hot path: each message is checked once, when it is submitted).
    mutating func insertValidatedMessages(_ messages: [NewMessage]) {
        operations.reserveCapacity(operations.count + messages.count)
        for message in messages { operations.append(.message(message)) }
    }

    /// Adds a job; it becomes visible to workers only when the transaction commits.
    public mutating func enqueue(_ job: NewJob) {
        do { try job.validate() } catch { validationError = validationError ?? error }
        operations.append(.job(job))
    }

    /// Creates a room if it does not exist.
    public mutating func createRoom(_ name: String) {
        if name.isEmpty || name.utf8.count > limits.maxRoomBytes || name.utf8.contains(0) {
            validationError = validationError ?? StoreError(.invalidMessage, "room name must be 1…\(limits.maxRoomBytes) bytes without NUL")
        }
        operations.append(.room(name))
    }

    /// The number of messages recorded.
    public var messageCount: Int {
        operations.reduce(0) { count, operation in
            if case .message = operation { return count + 1 }
            return count
        }
    }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { operations.isEmpty }
}

/// What a committed transaction stored, in the order the operations were recorded.
public struct TransactionResult: Sendable, Hashable {
    /// The stored messages (for a retried idempotency key: the message stored the first time).
    public var messages: [ChatMessage]
    /// The outcome of each enqueued job.
    public var jobs: [JobInsertion]

    /// Creates a result; see each property.
    public init(messages: [ChatMessage] = [], jobs: [JobInsertion] = []) {
        self.messages = messages
        self.jobs = jobs
    }
}
