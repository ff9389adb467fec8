import NIOCore
import SiteflowRealtime
import Synchronization

/// One Phoenix long-poll session: the ``TransportConnection`` the socket layer writes to, holding
/// frames (bounded) until the client's next GET collects them.
///
/// The session's frames reach the socket layer in order on the session's home event loop, and
/// `transportClosed` is delivered there too, after the last frame.
final class LongPollSession: TransportConnection, Sendable {
    private struct State {
        var queue: [TransportFrame] = []
        var waiter: LongPollWaiter?
        var closed = false
        var lastActivity: NIODeadline
        var session: (any TransportSession)?
        var ending: (code: TransportCloseCode?, reason: String)?
    }

    /// The random base64url token the client presents on every request.
    let token: String
    /// The event loop that delivers the client's frames and runs the session's timer.
    let eventLoop: any EventLoop
    private let queueLimit: Int
    private let sessionTimeout: TimeAmount
    private let statistics: SocketStatistics
    private let onClose: @Sendable (LongPollSession) -> Void
    private let state: Mutex<State>

    init(
        token: String,
        eventLoop: any EventLoop,
        queueLimit: Int,
        sessionTimeout: TimeAmount,
        statistics: SocketStatistics,
        onClose: @escaping @Sendable (LongPollSession) -> Void
    ) {
        self.token = token
        self.eventLoop = eventLoop
        self.queueLimit = queueLimit
        self.sessionTimeout = sessionTimeout
        self.statistics = statistics
        self.onClose = onClose
        self.state = Mutex(State(lastActivity: .now()))
    }

    /// Attaches the accepted socket session and starts the inactivity timer.
    func attach(_ session: any TransportSession) {
        let ending = state.withLock { state -> (code: TransportCloseCode?, reason: String)? in
            guard !state.closed else { return state.ending }
            state.session = session
            return nil
        }
        if let ending {
            // Closed by the socket layer while it was still deciding: tell it the transport ended.
            eventLoop.execute { session.transportClosed(code: ending.code, reason: ending.reason) }
            return
        }
        scheduleExpiry(at: .now() + sessionTimeout)
    }

    // MARK: TransportConnection

    func send(_ frame: TransportFrame) -> Bool {
        let (accepted, waiter, frames) = state.withLock { state -> (Bool, LongPollWaiter?, [TransportFrame]) in
            guard !state.closed, state.queue.count < queueLimit else { return (false, nil, []) }
            state.queue.append(frame)
            guard let waiter = state.waiter else { return (true, nil, []) }
            state.waiter = nil
            state.lastActivity = .now()
            let frames = state.queue
            state.queue = []
            return (true, waiter, frames)
        }
        waiter?.resolve(.messages(frames))
        return accepted
    }

    var isClosing: Bool {
        state.withLock { $0.closed }
    }

    func close(code: TransportCloseCode, reason: String) {
        end(code: code, reason: reason)
    }

    // MARK: Client requests

    /// A GET: answers at once when frames are waiting (or the session is gone), else parks
    /// `waiter` until a frame arrives or `window` passes. A previous parked poll gets 204.
    func poll(_ waiter: LongPollWaiter, window: TimeAmount) {
        enum Action { case answer(LongPollWaiter.Outcome), park(previous: LongPollWaiter?) }
        let action = state.withLock { state -> Action in
            guard !state.closed else { return .answer(.gone) }
            state.lastActivity = .now()
            if !state.queue.isEmpty {
                let frames = state.queue
                state.queue = []
                return .answer(.messages(frames))
            }
            let previous = state.waiter
            state.waiter = waiter
            return .park(previous: previous)
        }
        switch action {
        case .answer(let outcome):
            waiter.resolve(outcome)
        case .park(let previous):
            previous?.resolve(.noContent)
            eventLoop.scheduleTask(in: window) { [weak self] in
                self?.windowEnded(for: waiter)
            }
        }
    }

    /// The client's HTTP connection went away while `waiter` was parked: keep the frames.
    func abandon(_ waiter: LongPollWaiter) {
        state.withLock { state in
            if state.waiter === waiter {
                state.waiter = nil
                state.lastActivity = .now()
            }
        }
    }

    /// Hands the client's frames to the socket layer, in order, on the home event loop.
    /// Returns `false` when the session has ended.
    func deliver(_ frames: [TransportFrame]) -> Bool {
        let session = state.withLock { state -> (any TransportSession)? in
            guard !state.closed else { return nil }
            state.lastActivity = .now()
            return state.session
        }
        guard let session else { return false }
        eventLoop.execute {
            for frame in frames { session.received(frame) }
        }
        return true
    }

    // MARK: Ending

    private func windowEnded(for waiter: LongPollWaiter) {
        let expired = state.withLock { state -> Bool in
            guard state.waiter === waiter else { return false }
            state.waiter = nil
            state.lastActivity = .now()
            return true
        }
        if expired { waiter.resolve(.noContent) }
    }

    private func scheduleExpiry(at deadline: NIODeadline) {
        eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            self?.checkExpiry()
        }
    }

    private func checkExpiry() {
        let next = state.withLock { state -> NIODeadline? in
            guard !state.closed else { return nil }
            if state.waiter != nil { return .now() + sessionTimeout }
            return state.lastActivity + sessionTimeout
        }
        guard let next else { return }
        if next <= .now() {
            statistics.increment(.longPollSessionsExpired)
            end(code: nil, reason: "long-poll session was not polled for \(sessionTimeout.nanoseconds / 1_000_000) ms")
        } else {
            scheduleExpiry(at: next)
        }
    }

    private func end(code: TransportCloseCode?, reason: String) {
        let (waiter, session) = state.withLock { state -> (LongPollWaiter?, (any TransportSession)?) in
            guard !state.closed else { return (nil, nil) }
            state.closed = true
            state.ending = (code, reason)
            state.queue = []
            defer {
                state.waiter = nil
                state.session = nil
            }
            return (state.waiter, state.session)
        }
        guard let session else {
            waiter?.resolve(.gone)
            return
        }
        waiter?.resolve(.gone)
        onClose(self)
        eventLoop.execute {
            session.transportClosed(code: code, reason: reason)
        }
    }

    /// Whether the session has ended.
    var isClosed: Bool {
        state.withLock { $0.closed }
    }
}
