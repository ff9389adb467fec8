/// The address of a running server (``GenServer`` or ``AsyncGenServer``): call it, cast to it,
/// send it info messages.
public struct ServerRef<Server: ServerInterface>: Sendable, Hashable, CustomStringConvertible {
    /// The server's process address (its mailbox takes ``ServerMessage``).
    public let pid: PID<ServerMessage<Server>>

    /// Wraps a server's process address.
    public init(pid: PID<ServerMessage<Server>>) { self.pid = pid }

    /// The server's process identity (to link, monitor, or supervise it).
    public var id: ProcessID { pid.id }

    public var description: String { "ServerRef<\(Server.self)>\(pid)" }

    /// Sends `request` and waits for the reply.
    ///
    /// Never hangs: fails with ``CallError/timeout`` after `timeout` (default 5 s, as in OTP;
    /// `nil` waits without limit), ``CallError/noProcess`` if the server is not running,
    /// ``CallError/serverExited(_:)`` if it ends before replying (for any reason, including a
    /// crash while handling this request), ``CallError/mailboxFull`` if its bounded mailbox
    /// refused the request, ``CallError/cancelled`` if the calling task was already cancelled.
    /// A call in flight is not interrupted by task cancellation: it ends with the reply, the
    /// timeout or the server's exit (ADR 0002).
    ///
    /// The timeout holds whoever calls and however long the handler runs: the server never
    /// runs on the caller's stack. From a task on one of the server's workers, the idle server
    /// runs next on that worker once the caller has suspended (Erlang's hand-off: no thread
    /// wakes up), so if its handler is slow, the caller's timer fires and another worker resumes
    /// the caller. From any other thread (a task on Swift's global executor, a SwiftNIO event
    /// loop) the server is queued on its own workers: process code never runs on threads the
    /// runtime does not own.
    @inlinable
    public func call(_ request: sending Server.Call, timeout: Duration? = .seconds(5)) async throws(CallError) -> Server.Reply {
        let mailbox = pid.mailbox
        if Task.isCancelled { throw .cancelled }
        var slot = ReplySlot<Server.Reply>.make(server: mailbox)
        // The request carries the only handle: the server owns it from here on.
        switch mailbox.send(.call(request, Caller(slot: slot))) {
        case .queued: slot.markQueued()
        case .deadProcess: slot.complete(.failure(.noProcess))
        case .mailboxFull: slot.complete(.failure(.mailboxFull))
        }
        if let early = slot.takeEarlyResult() {
            ReplySlot.recycle(&slot)
            return try early.get()
        }
        let outcome: Result<Server.Reply, CallError>
        do {
            outcome = .success(
                try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Server.Reply, any Error>) in
                    slot.arm(continuation, timeout: timeout, runtime: mailbox.runtime)
                })
        } catch let error as CallError {
            outcome = .failure(error)
        } catch {
            outcome = .failure(.serverCrashed(error))
        }
        ReplySlot.recycle(&slot)
        return try outcome.get()
    }

    /// Sends a fire-and-forget request. Returns whether it was queued.
    @inlinable
    @discardableResult
    public func cast(_ message: sending Server.Cast) -> Bool {
        pid.send(.cast(message))
    }

    /// Sends an info message. Returns whether it was queued.
    @inlinable
    @discardableResult
    public func info(_ message: sending Server.Info) -> Bool {
        pid.send(.info(message))
    }
}
