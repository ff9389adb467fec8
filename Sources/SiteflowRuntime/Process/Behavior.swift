/// The code and state of a process whose handlers never suspend: the fastest kind of process.
///
/// The runtime calls the handlers one message at a time, never concurrently, on a scheduler
/// worker. The state is the conforming value itself, owned by the process: nothing else can touch
/// it. A handler that throws ends the process with ``ExitReason/error(_:)``.
///
/// - Note: A handler must not block its worker for long (no `sleep`, no blocking I/O); the
///   watchdog reports handlers that run past the threshold. Use ``SpawnOptions/blocking`` for
///   processes that must block, or ``AsyncBehavior`` to `await`.
public protocol Behavior {
    /// The type of the messages this process accepts.
    associatedtype Message: Sendable

    /// Handles one message.
    mutating func handle(_ message: Message, context: ProcessContext<Message>) throws

    /// Handles a system message: a trapped exit signal or a monitor's `down`. Default: ignore.
    mutating func handleSignal(_ signal: Signal, context: ProcessContext<Message>) throws

    /// Called when the process stops by itself (``ProcessContext/stop(_:)`` or a thrown error) or
    /// is shut down in order by its parent; not when it is killed. Default: nothing.
    mutating func terminate(reason: ExitReason, context: ProcessContext<Message>)

    /// A short label for introspection (e.g. "gen_server"). Default: the type's name.
    static var kind: String { get }
}

extension Behavior {
    public mutating func handleSignal(_ signal: Signal, context: ProcessContext<Message>) throws {}
    public mutating func terminate(reason: ExitReason, context: ProcessContext<Message>) {}
    public static var kind: String { String(describing: Self.self) }
}

/// The code and state of a process whose handlers may `await` (a database query, a `call` to
/// another process). Handlers still run one message at a time: while a handler is suspended the
/// process takes no other message, unlike a Swift `actor`, which is reentrant.
///
/// Each time the process wakes up, the runtime starts one Swift task on its own scheduler
/// (which is the task's executor) to drain the mailbox; an idle process holds no task.
public protocol AsyncBehavior: SendableMetatype {
    /// The type of the messages this process accepts.
    associatedtype Message: Sendable

    /// Handles one message; the process takes no other message until this returns.
    mutating func handle(_ message: Message, context: ProcessContext<Message>) async throws

    /// Handles a trapped exit signal or a monitor's `down`. Default: ignore.
    mutating func handleSignal(_ signal: Signal, context: ProcessContext<Message>) async throws

    /// Called when the process stops by itself or is shut down in order by its parent. Default: nothing.
    mutating func terminate(reason: ExitReason, context: ProcessContext<Message>) async

    /// A short label for introspection. Default: the type's name.
    static var kind: String { get }
}

extension AsyncBehavior {
    public mutating func handleSignal(_ signal: Signal, context: ProcessContext<Message>) async throws {}
    public mutating func terminate(reason: ExitReason, context: ProcessContext<Message>) async {}
    public static var kind: String { String(describing: Self.self) }
}
