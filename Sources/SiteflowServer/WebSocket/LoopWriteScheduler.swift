import NIOCore
import Synchronization

/// The WebSocket connections of one event loop that have frames waiting, drained together by a
/// single event-loop task: a broadcast to 10,000 sockets costs one hop per event loop, not one
/// per socket.
final class LoopWriteScheduler: Sendable {
    private struct State {
        var pending: [WebSocketConnection] = []
        var scheduled = false
    }

    /// The loop whose connections this scheduler drains.
    let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues `connection` for the next drain (the caller makes sure it is queued once per
    /// drain) and schedules the drain when it is the first.
    func schedule(_ connection: WebSocketConnection) {
        let first = state.withLock { state -> Bool in
            state.pending.append(connection)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if first {
            eventLoop.execute { self.run() }
        }
    }

    private func run() {
        let batch = state.withLock { state -> [WebSocketConnection] in
            state.scheduled = false
            defer { state.pending.removeAll(keepingCapacity: state.pending.capacity <= 4096) }
            return state.pending
        }
        for connection in batch {
            connection.drain()
        }
    }
}
