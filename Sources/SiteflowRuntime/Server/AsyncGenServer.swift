import Synchronization

/// A server whose handlers may `await` (a database query, a call to another server, a child's
/// start): OTP's `gen_server` for code that suspends. It is addressed like a ``GenServer``,
/// through the same ``ServerRef``, ``Caller`` and ``CallError``.
///
/// Handlers are not reentrant: while one is suspended the server takes no other message (unlike
/// a Swift `actor`), so its state is never seen half-updated. Each wake-up runs on a task on the
/// runtime's own workers; a handler that does not suspend costs a task per wake-up more than a
/// ``GenServer``'s, so prefer ``GenServer`` for servers that never `await`.
public protocol AsyncGenServer: ServerInterface, SendableMetatype {
    /// Requests that expect a reply (default: none).
    associatedtype Call = Never
    /// The reply to a ``Call`` (default: `Void`).
    associatedtype Reply = Void
    /// Fire-and-forget requests (default: none).
    associatedtype Cast = Never
    /// Other messages: timer ticks, notifications from other processes (default: none).
    associatedtype Info = Never

    /// Runs in the new server, on the runtime's workers, before it takes any message; throwing
    /// makes ``start(_:runtime:options:)`` throw and the server never runs. Default: nothing.
    mutating func initialize(context: ServerContext<Self>) async throws

    /// Answers a call: ``CallResult/reply(_:)`` now, ``CallResult/noReply`` to answer later
    /// through `caller`, or ``CallResult/stop(_:reply:)`` to reply and stop.
    mutating func handleCall(_ request: Call, from caller: Caller<Reply>, context: ServerContext<Self>) async throws -> CallResult<Reply>

    /// Handles a cast. Default: nothing.
    mutating func handleCast(_ message: Cast, context: ServerContext<Self>) async throws

    /// Handles an info message. Default: nothing.
    mutating func handleInfo(_ message: Info, context: ServerContext<Self>) async throws

    /// Handles a trapped exit or a monitor's `down`. Default: nothing.
    mutating func handleSignal(_ signal: Signal, context: ServerContext<Self>) async throws

    /// Called when the server stops by itself, crashes in a handler, or is shut down in order by
    /// its parent (a supervisor). Not called when it is killed. Default: nothing.
    mutating func terminate(reason: ExitReason, context: ServerContext<Self>) async

    /// A short label for introspection (a process snapshot's `kind`). Default: `gen_server`.
    static var kind: String { get }
}

extension AsyncGenServer {
    public mutating func initialize(context: ServerContext<Self>) async throws {}
    public mutating func handleCast(_ message: Cast, context: ServerContext<Self>) async throws {}
    public mutating func handleInfo(_ message: Info, context: ServerContext<Self>) async throws {}
    public mutating func handleSignal(_ signal: Signal, context: ServerContext<Self>) async throws {}
    public mutating func terminate(reason: ExitReason, context: ServerContext<Self>) async {}
    public static var kind: String { "gen_server" }

    /// Starts the server: runs ``initialize(context:)`` in the new process on the runtime's
    /// workers, then lets it take messages. Messages sent meanwhile wait in its mailbox.
    /// - Throws: ``ServerStartError`` wrapping the error `initialize` threw (the process then ends
    ///   with that error, so links and monitors see it), or a ``SpawnError``.
    public static func start(_ server: sending Self, runtime: Runtime, options: SpawnOptions = .default) async throws -> ServerRef<Self> {
        try await runtime.startAsyncServer(server, options: options, caller: nil)
    }
}

/// The process behaviour that runs an ``AsyncGenServer``: each handler is awaited before the
/// next message is taken.
struct AsyncServerProcess<Server: AsyncGenServer>: AsyncBehavior {
    var server: Server

    mutating func handle(_ message: ServerMessage<Server>, context: ServerContext<Server>) async throws {
        switch message {
        case .call(let request, let caller):
            let result: CallResult<Server.Reply>
            do {
                result = try await server.handleCall(request, from: caller, context: context)
            } catch {
                caller.fail(.serverCrashed(error))
                throw error
            }
            result.deliver(to: caller, context: context)
        case .cast(let message):
            try await server.handleCast(message, context: context)
        case .info(let message):
            try await server.handleInfo(message, context: context)
        }
    }

    mutating func handleSignal(_ signal: Signal, context: ServerContext<Server>) async throws {
        try await server.handleSignal(signal, context: context)
    }

    mutating func terminate(reason: ExitReason, context: ServerContext<Server>) async {
        await server.terminate(reason: reason, context: context)
    }

    static var kind: String { Server.kind == "gen_server" ? "gen_server(\(Server.self))" : Server.kind }
}

extension Runtime {
    /// Spawns the server's process suspended, runs its `initialize` on the workers, then lets it
    /// take messages.
    func startAsyncServer<S: AsyncGenServer>(_ server: sending S, options: SpawnOptions, caller: ProcessCore?) async throws -> ServerRef<S> {
        let cell = try spawnSuspended(AsyncServerProcess(server: server), options: options, caller: caller)
        cell.extras.state.withLock { $0.kind = S.kind }
        guard var state = cell.behavior.take() else { throw SpawnError.runtimeStopped }
        do {
            // Process code runs on the runtime's workers only, whoever starts the server.
            try await withTaskExecutorPreference(scheduler) {
                try await state.server.initialize(context: ServerContext<S>(cell))
            }
        } catch {
            cell.behavior = nil
            cell.finishExit(reason: .error(error), ownFault: true)
            processTable.remove(cell)
            throw ServerStartError(underlying: error)
        }
        cell.behavior = consume state
        cell.activate()
        return ServerRef(pid: PID(cell))
    }
}
