import CSiteflowRuntime
public import Synchronization

/// The waiting side of one ``ServerRef/call(_:timeout:)``: the server replies through it exactly
/// once. Keep it to reply later (``CallResult/noReply``); replies after the first, or after the
/// call timed out, are ignored.
///
/// If the server drops the caller without replying (it crashed, was killed, or the request was
/// still queued when it ended) the call fails at once with ``CallError/serverExited(_:)`` — the
/// guarantee a monitor gives in OTP, at the cost of no monitor per call.
public struct Caller<Reply: Sendable>: Sendable {
    @usableFromInline let handle: ReplyHandle<Reply>

    @inlinable
    init(slot: ReplySlot<Reply>) { handle = ReplyHandle(slot: slot) }

    /// Delivers the reply; returns false if the call already ended (answered, timed out, failed).
    @inlinable
    @discardableResult
    public func reply(_ reply: sending Reply) -> Bool {
        handle.slot.complete(.success(reply))
    }

    @inlinable
    func fail(_ error: CallError) {
        handle.slot.complete(.failure(error))
    }
}

/// The server's hold on one call. Only the request message (and copies of its ``Caller`` that
/// the server keeps) reference it, so when the server drops it without replying — it crashed,
/// was killed, or ended with the request still queued — `deinit` fails the call at once.
@usableFromInline
final class ReplyHandle<Reply: Sendable>: Sendable {
    @usableFromInline let slot: ReplySlot<Reply>

    @inlinable
    init(slot: ReplySlot<Reply>) { self.slot = slot }

    deinit { slot.abandon() }
}

/// The rendezvous of one call: completed exactly once (reply, error, timeout, or the server
/// abandoning its ``ReplyHandle``). The caller, its timer and the completer hold the slot; only
/// the server holds the handle.
///
/// The caller does not suspend unless it has to. A completion that comes before the caller
/// armed a continuation (a reply from a server another worker ran meanwhile, or an immediate
/// failure) is left in ``result`` and the caller returns it without suspending; otherwise the
/// caller arms a continuation (and the timeout) and the completer resumes it. ``phase`` settles which side
/// resumes: the completer that finds a continuation armed, or the caller that finds a result.
@usableFromInline
final class ReplySlot<Reply: Sendable>: @unchecked Sendable {
    // Safe: `continuation`, `timer` and `timers` are written by the caller before it publishes
    // phase `armed` (release) and read by the completer only after it saw `armed` (acquire);
    // `result` is written by the one completer that won `state` before it publishes phase
    // `completed` (release), and read by the caller only after it saw `completed` (acquire), or
    // by the completer itself.

    /// 0 until one completer wins the right to complete the call (then 1).
    @usableFromInline let state = Atomic<UInt8>(0)
    /// ``pending``, ``armed`` (the caller suspended on `continuation`) or ``completed`` (the
    /// result is in `result`, the caller will take it).
    @usableFromInline let phase = Atomic<UInt8>(0)
    @usableFromInline static var pending: UInt8 { 0 }
    @usableFromInline static var armed: UInt8 { 1 }
    @usableFromInline static var completed: UInt8 { 2 }

    @usableFromInline @exclusivity(unchecked) var continuation: UnsafeContinuation<Reply, any Error>?
    @usableFromInline @exclusivity(unchecked) var result: Result<Reply, CallError>?
    @usableFromInline @exclusivity(unchecked) var timer: TimerHandle?
    @usableFromInline @exclusivity(unchecked) unowned(unsafe) var timers: TimerService?
    /// The server called (a `var` only so that a recycled slot can serve another call).
    @usableFromInline @exclusivity(unchecked) var server: ProcessCore

    @inlinable
    init(server: ProcessCore) { self.server = server }

    /// A slot for a call to `server`: this worker's spare one if it has the right type, else a new one.
    @inlinable
    static func make(server: ProcessCore) -> ReplySlot {
        if let spare = ReplySlotRecycler.take(ReplySlot.self) {
            let slot = unsafeDowncast(spare, to: ReplySlot.self)
            slot.server = server
            return slot
        }
        return ReplySlot(server: server)
    }

    /// The caller, once its call has ended: keeps the slot as this worker's spare if nothing
    /// else holds it (the server dropped its handle, the timer was cancelled or has fired and
    /// let go), so the next call on this worker allocates no slot.
    @inlinable
    static func recycle(_ slot: inout ReplySlot) {
        guard isKnownUniquelyReferenced(&slot) else { return }
        slot.state.store(0, ordering: .relaxed)
        slot.phase.store(Self.pending, ordering: .relaxed)
        slot.delivery.store(0, ordering: .relaxed)
        slot.result = nil
        slot.continuation = nil
        slot.timer = nil
        ReplySlotRecycler.put(slot)
    }

    /// The caller: the result, if the call completed before the caller suspended.
    @inlinable
    func takeEarlyResult() -> Result<Reply, CallError>? {
        guard phase.load(ordering: .acquiring) == Self.completed else { return nil }
        return result.take()
    }

    /// The caller, inside `withUnsafeThrowingContinuation`: waits on `continuation` (with a
    /// timeout), or resumes it at once if the call completed meanwhile.
    @inlinable
    func arm(_ continuation: UnsafeContinuation<Reply, any Error>, timeout: Duration?, runtime: Runtime) {
        self.continuation = continuation
        if let timeout {
            timers = runtime.timers
            timer = runtime.timers.schedule(after: timeout) { [self] in
                self.complete(.failure(.timeout))
            }
        }
        let published = phase.compareExchange(
            expected: Self.pending, desired: Self.armed,
            successOrdering: .releasing, failureOrdering: .acquiring)
        if published.exchanged { return }
        // Completed before we armed: the result is ours to deliver.
        if let timer, let timers { timers.cancel(timer) }
        self.continuation = nil
        let outcome = result.take() ?? .failure(.serverExited(nil))
        continuation.resume(with: outcome.mapError { $0 as any Error })
    }

    /// Completes the call once; returns whether this completion won.
    @inlinable
    @discardableResult
    func complete(_ result: sending Result<Reply, CallError>) -> Bool {
        guard state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        if phase.load(ordering: .acquiring) != Self.armed {
            self.result = result
            if phase.compareExchange(
                expected: Self.pending, desired: Self.completed,
                successOrdering: .releasing, failureOrdering: .acquiring
            ).exchanged {
                return true
            }
            // The caller armed meanwhile: resume it with what we stored.
            resumeArmed(self.result.take() ?? .failure(.serverExited(nil)))
            return true
        }
        resumeArmed(result)
        return true
    }

    /// The completer, once the caller armed: cancels the timeout and resumes the caller.
    @inlinable
    func resumeArmed(_ result: sending Result<Reply, CallError>) {
        if let timer, let timers { timers.cancel(timer) }
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result.mapError { $0 as any Error })
    }

    /// Bits of ``delivery``: the request was queued; the server let go of its handle.
    @usableFromInline static var queuedBit: UInt8 { 1 }
    @usableFromInline static var abandonedBit: UInt8 { 2 }
    /// Whether the request was queued and whether the server let go of it, in either order: a
    /// request refused by a full mailbox is dropped too, and must fail as `mailboxFull`, not as
    /// an exit.
    @usableFromInline let delivery = Atomic<UInt8>(0)

    /// The caller: the request is in the server's mailbox.
    @inlinable
    func markQueued() {
        let before = delivery.bitwiseOr(Self.queuedBit, ordering: .acquiringAndReleasing).oldValue
        if before & Self.abandonedBit != 0 { failAbandoned() }
    }

    /// The server let go of the call: if the server has ended, fail the call with its exit
    /// reason, unless it was never queued (the sender then reports why). A live server that
    /// drops a caller without replying leaves the call to its timeout, as in OTP.
    @usableFromInline
    func abandon() {
        guard state.load(ordering: .acquiring) == 0, !server.isAlive else { return }
        let before = delivery.bitwiseOr(Self.abandonedBit, ordering: .acquiringAndReleasing).oldValue
        if before & Self.queuedBit != 0 { failAbandoned() }
    }

    @usableFromInline
    func failAbandoned() {
        complete(.failure(.serverExited(server.recordedExitReason)))
    }
}

/// Why a call failed.
public struct CallError: Error, CustomStringConvertible {
    @usableFromInline enum Code: Sendable {
        case timeout
        case noProcess
        case serverExited(ExitReason?)
        case serverCrashed(any Error)
        case mailboxFull
        case cancelled
        case requestRejected(any Error)
    }

    @usableFromInline let code: Code

    @inlinable init(code: Code) { self.code = code }

    /// No reply within the call's timeout. The server may still handle the request later.
    public static var timeout: CallError { CallError(code: .timeout) }
    /// The server was not running when the request was sent.
    public static var noProcess: CallError { CallError(code: .noProcess) }
    /// The server ended before replying; the reason, when the runtime recorded it.
    public static func serverExited(_ reason: ExitReason?) -> CallError { CallError(code: .serverExited(reason)) }
    /// The server's handler threw this error while handling the request (the server then crashed).
    public static func serverCrashed(_ error: any Error) -> CallError { CallError(code: .serverCrashed(error)) }
    /// The server's bounded mailbox refused the request.
    public static var mailboxFull: CallError { CallError(code: .mailboxFull) }
    /// The calling task was cancelled.
    public static var cancelled: CallError { CallError(code: .cancelled) }
    /// The request could not be delivered, for this reason, and the server never saw it: e.g. an
    /// isolated server's request that cannot be encoded or exceeds the frame limit
    /// (``IsolatedProcessError/Code/messageNotSendable``). The server is not affected.
    public static func requestRejected(_ error: any Error) -> CallError { CallError(code: .requestRejected(error)) }

    /// Whether the request was refused before delivery (``requestRejected(_:)``).
    public var isRejected: Bool { if case .requestRejected = code { return true } else { return false } }
    /// Whether the server's bounded mailbox (or an isolated server's queue) refused the request.
    public var isMailboxFull: Bool { if case .mailboxFull = code { return true } else { return false } }
    /// The reason the server exited with, for a call that failed because it ended.
    public var exitReason: ExitReason? { if case .serverExited(let reason) = code { return reason } else { return nil } }

    /// Whether the calling task was cancelled before the request was sent.
    public var isCancelled: Bool { if case .cancelled = code { return true } else { return false } }
    /// Whether this is a timeout.
    public var isTimeout: Bool { if case .timeout = code { return true } else { return false } }
    /// Whether the server was not running, ended, or crashed before replying.
    public var isServerDown: Bool {
        switch code {
        case .noProcess, .serverExited, .serverCrashed: return true
        default: return false
        }
    }

    public var description: String {
        switch code {
        case .timeout: return "the call timed out"
        case .noProcess: return "no process: the server is not running"
        case .serverExited(let reason): return "the server exited before replying (\(reason.map { "\($0)" } ?? "reason unknown"))"
        case .serverCrashed(let error): return "the server crashed handling the call: \(error)"
        case .mailboxFull: return "the server's mailbox is full"
        case .cancelled: return "the calling task was cancelled"
        case .requestRejected(let error): return "the request was not delivered: \(error)"
        }
    }
}

/// Keeps one spare ``ReplySlot`` per worker (of whatever reply type the last call there used),
/// so a worker making calls to one kind of server in a row allocates no slot per call.
@usableFromInline
enum ReplySlotRecycler {
    /// This worker's spare slot if it is exactly of type `wanted` (nil off the workers).
    @usableFromInline
    static func take(_ wanted: AnyObject.Type) -> AnyObject? {
        guard let raw = sf_current_worker() else { return nil }
        return Unmanaged<Worker>.fromOpaque(raw)._withUnsafeGuaranteedRef { worker -> AnyObject? in
            guard let spare = worker.spareReplySlot else { return nil }
            let object = Unmanaged<AnyObject>.fromOpaque(spare)
            guard ObjectIdentifier(type(of: object.takeUnretainedValue())) == ObjectIdentifier(wanted) else { return nil }
            worker.spareReplySlot = nil
            return object.takeRetainedValue()
        }
    }

    /// Makes `slot` (uniquely referenced, reset) this worker's spare; off the workers, drops it.
    @usableFromInline
    static func put(_ slot: AnyObject) {
        guard let raw = sf_current_worker() else { return }
        let previous = Unmanaged<Worker>.fromOpaque(raw)._withUnsafeGuaranteedRef { worker -> UnsafeMutableRawPointer? in
            let previous = worker.spareReplySlot
            worker.spareReplySlot = Unmanaged.passRetained(slot).toOpaque()
            return previous
        }
        if let previous { Unmanaged<AnyObject>.fromOpaque(previous).release() }
    }
}
