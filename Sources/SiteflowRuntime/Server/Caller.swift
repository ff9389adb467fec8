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

/// The rendezvous of one call: a continuation resumed exactly once (reply, error, timeout,
/// cancellation, or the server abandoning its ``ReplyHandle``). The caller, its timer and its
/// cancellation handler hold the slot; only the server holds the handle.
@usableFromInline
final class ReplySlot<Reply: Sendable>: @unchecked Sendable {
    // Safe: `continuation` and `timer` are written by the caller before the request is published
    // (the mailbox push releases them, the server's take acquires them) and read only by the one
    // completer that wins `state`.

    @usableFromInline let state = Atomic<UInt8>(0)
    @usableFromInline var continuation: UnsafeContinuation<Reply, any Error>?
    @usableFromInline var timer: TimerHandle?
    @usableFromInline unowned(unsafe) var timers: TimerService?
    @usableFromInline let server: ProcessCore

    @inlinable
    init(server: ProcessCore) { self.server = server }

    @inlinable
    func arm(_ continuation: UnsafeContinuation<Reply, any Error>, timeout: Duration?, runtime: Runtime) {
        self.continuation = continuation
        if let timeout {
            timers = runtime.timers
            timer = runtime.timers.schedule(after: timeout) { [self] in
                self.complete(.failure(.timeout))
            }
        }
    }

    /// Completes the call once; returns whether this completion won.
    @inlinable
    @discardableResult
    func complete(_ result: sending Result<Reply, CallError>) -> Bool {
        guard state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        if let timer, let timers { timers.cancel(timer) }
        guard let continuation else { return true }
        self.continuation = nil
        continuation.resume(with: result.mapError { $0 as any Error })
        return true
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
        }
    }
}
