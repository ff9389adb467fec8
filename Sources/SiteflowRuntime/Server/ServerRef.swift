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
    /// When the caller runs on one of the server's workers and the server is idle, the caller
    /// runs the server's receive loop itself, at once, instead of queuing it on the worker it
    /// would have run on anyway; if that answers the call, the caller returns without
    /// suspending and no timer is armed. As in Erlang, a reply that is there when the caller
    /// first looks is returned; the timeout bounds only the wait after that.
    ///
    /// From a task on another executor (a plain `Task {}` runs on Swift's global one), every
    /// call crosses threads twice — the server's worker is woken, then the caller's thread —
    /// which costs 4–25 µs per call on a 2-core machine instead of ≈ 0.65 µs. Callers that call
    /// often should run on the runtime: `Task(executorPreference: runtime.scheduler) { … }`, or
    /// be processes themselves (``AsyncBehavior``). (Spinning for the reply before suspending
    /// made it worse, 16–45 µs: on two cores the spinning callers kept the server's worker off
    /// the CPU.)
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
