/// A server process in the style of OTP's `gen_server`: synchronous requests (``call``) that get
/// a reply, asynchronous notices (``cast``), and other messages (``info``), handled one at a time
/// by a value that owns the server's state.
///
/// Start it with ``start(_:runtime:options:)``; talk to it through the returned ``ServerRef``.
/// Handlers are synchronous, like `gen_server` callbacks, which block their process: the fastest
/// kind of server. A server that must `await` (a database, another server) is an
/// ``AsyncGenServer``, or answers later with ``Caller/reply(_:)`` (return ``CallResult/noReply``).
public protocol GenServer: ServerInterface {
    /// Requests that expect a reply (default: none).
    associatedtype Call = Never
    /// The reply to a ``Call`` (default: `Void`).
    associatedtype Reply = Void
    /// Fire-and-forget requests (default: none).
    associatedtype Cast = Never
    /// Other messages: timer ticks, notifications from other processes (default: none).
    associatedtype Info = Never

    /// Runs in the new server before it takes any message; throwing makes
    /// ``start(_:runtime:options:)`` throw and the server never runs. Default: nothing.
    mutating func initialize(context: ServerContext<Self>) throws

    /// Answers a call: ``CallResult/reply(_:)`` now, ``CallResult/noReply`` to answer later
    /// through `caller`, or ``CallResult/stop(_:reply:)`` to reply and stop.
    mutating func handleCall(_ request: Call, from caller: Caller<Reply>, context: ServerContext<Self>) throws -> CallResult<Reply>

    /// Handles a cast. Default: nothing.
    mutating func handleCast(_ message: Cast, context: ServerContext<Self>) throws

    /// Handles an info message. Default: nothing.
    mutating func handleInfo(_ message: Info, context: ServerContext<Self>) throws

    /// Handles a trapped exit or a monitor's `down`. Default: nothing.
    mutating func handleSignal(_ signal: Signal, context: ServerContext<Self>) throws

    /// Called when the server stops by itself, crashes in a handler, or is shut down in order by
    /// its parent (a supervisor). Not called when it is killed. Default: nothing.
    mutating func terminate(reason: ExitReason, context: ServerContext<Self>)
}

/// What a server's handlers can do as their process (the process context of its mailbox).
public typealias ServerContext<Server: ServerInterface> = ProcessContext<ServerMessage<Server>>

/// The mailbox message of a server process (``GenServer`` or ``AsyncGenServer``).
public enum ServerMessage<Server: ServerInterface>: Sendable {
    case call(Server.Call, Caller<Server.Reply>)
    case cast(Server.Cast)
    case info(Server.Info)
}

/// How a ``GenServer`` answers one call.
public enum CallResult<Reply: Sendable> {
    /// Reply now.
    case reply(Reply)
    /// Do not reply now; the server keeps the ``Caller`` and replies later (or the call times out).
    case noReply
    /// Reply, then stop the server with the given reason.
    case stop(ExitReason, reply: Reply)
}

extension GenServer {
    public mutating func initialize(context: ServerContext<Self>) throws {}
    public mutating func handleCast(_ message: Cast, context: ServerContext<Self>) throws {}
    public mutating func handleInfo(_ message: Info, context: ServerContext<Self>) throws {}
    public mutating func handleSignal(_ signal: Signal, context: ServerContext<Self>) throws {}
    public mutating func terminate(reason: ExitReason, context: ServerContext<Self>) {}

    /// Starts the server: runs ``initialize(context:)`` in the new process, then lets it take
    /// messages. Messages sent meanwhile wait in its mailbox.
    /// - Throws: ``ServerStartError`` wrapping the error `initialize` threw (the process then ends
    ///   with that error, so links and monitors see it), or a ``SpawnError``.
    /// (`@inlinable`: the server's receive loop is compiled where its type is known; ADR 0001.)
    @inlinable
    public static func start(_ server: sending Self, runtime: Runtime, options: SpawnOptions = .default) throws -> ServerRef<Self> {
        try runtime.startServer(server, options: options, caller: nil) {
            runBehaviorLoop(ServerProcess<Self>.self, process: $0, budget: $1)
        }
    }
}

/// The process behaviour that runs a ``GenServer``.
@usableFromInline
struct ServerProcess<Server: GenServer>: Behavior {
    @usableFromInline var server: Server

    @inlinable
    init(server: Server) { self.server = server }

    @inlinable
    mutating func handle(_ message: ServerMessage<Server>, context: ServerContext<Server>) throws {
        switch message {
        case .call(let request, let caller):
            let result: CallResult<Server.Reply>
            do {
                result = try server.handleCall(request, from: caller, context: context)
            } catch {
                caller.fail(.serverCrashed(error))
                throw error
            }
            result.deliver(to: caller, context: context)
        case .cast(let message):
            try server.handleCast(message, context: context)
        case .info(let message):
            try server.handleInfo(message, context: context)
        }
    }

    @inlinable
    mutating func handleSignal(_ signal: Signal, context: ServerContext<Server>) throws {
        try server.handleSignal(signal, context: context)
    }

    @inlinable
    mutating func terminate(reason: ExitReason, context: ServerContext<Server>) {
        server.terminate(reason: reason, context: context)
    }

    @usableFromInline
    static var kind: String { "gen_server(\(Server.self))" }
}

/// Why a server did not start.
public struct ServerStartError: Error, CustomStringConvertible {
    /// The error the server's `initialize` threw.
    public let underlying: any Error

    public var description: String { "the server's initialize failed: \(underlying)" }
}

extension Runtime {
    @usableFromInline
    func startServer<S: GenServer>(
        _ server: sending S, options: SpawnOptions, caller: ProcessCore?, loop: @escaping ReceiveLoop
    ) throws -> ServerRef<S> {
        if options.isolation == .osProcess { return try startIsolatedServer(server, options: options, caller: caller) }
        let cell = try spawnSuspended(ServerProcess(server: server), options: options, caller: caller, loop: loop)
        cell.extras.state.withLock { $0.kind = "gen_server" }
        guard var state = cell.behavior.take() else { throw SpawnError.runtimeStopped }
        do {
            try state.server.initialize(context: ServerContext<S>(cell))
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

import Synchronization

extension CallResult {
    /// Answers `caller` as this result says and stops the server when it asks to: the one place
    /// where both server kinds (``GenServer``, ``AsyncGenServer``) carry out a call's result.
    @inlinable
    func deliver<Server>(to caller: Caller<Reply>, context: ServerContext<Server>) {
        switch self {
        case .reply(let reply):
            caller.reply(reply)
        case .noReply:
            break
        case .stop(let reason, let reply):
            caller.reply(reply)
            context.stop(reason)
        }
    }
}
