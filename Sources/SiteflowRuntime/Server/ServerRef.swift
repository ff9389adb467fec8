/// The address of a running ``GenServer``: call it, cast to it, send it info messages.
public struct ServerRef<Server: GenServer>: Sendable, Hashable, CustomStringConvertible {
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
    /// timeout or the server's exit (a cancellation handler per call cost ~30% of a call).
    ///
    /// When the server is idle, the caller runs the server's receive loop itself, at once: on
    /// one of the server's workers (instead of queuing it on the worker it would run on anyway),
    /// and on any thread that is not a worker — a task on Swift's global executor, a NIO event
    /// loop — if the server belongs to the runtime's main scheduler (queuing it would cost two
    /// thread wake-ups, the worker's and then the caller's: 4–25 µs per call here instead of
    /// ≈ 0.5 µs). If that answers the call, the caller returns without suspending and no timer
    /// is armed. As in Erlang, a reply that is there when the caller first looks is returned;
    /// the timeout bounds only the wait after that — so a handler that blocks blocks its caller
    /// when the caller ran it. A busy server is never run by the caller: the request is queued.
    @inlinable
    public func call(_ request: sending Server.Call, timeout: Duration? = .seconds(5)) async throws(CallError) -> Server.Reply {
        let mailbox = pid.mailbox
        if Task.isCancelled { throw .cancelled }
        var slot = ReplySlot<Server.Reply>.make(server: mailbox)
        var ranInline = false
        // The request carries the only handle: the server owns it from here on.
        switch mailbox.deliverClaiming(.call(request, Caller(slot: slot))) {
        case .claimed:
            ranInline = mailbox.runClaimed()
            slot.markQueued()
        case .queued: slot.markQueued()
        case .deadProcess: slot.complete(.failure(.noProcess))
        case .mailboxFull: slot.complete(.failure(.mailboxFull))
        }
        if let early = slot.takeEarlyResult() {
            if ranInline { ReplySlot.recycle(&slot) }
            return try early.get()
        }
        let armed = slot
        do {
            return try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Server.Reply, any Error>) in
                armed.arm(continuation, timeout: timeout, runtime: mailbox.runtime)
            }
        } catch let error as CallError {
            throw error
        } catch {
            throw CallError.serverCrashed(error)
        }
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
