import NIOCore
import SiteflowWebSocketCodec
import Synchronization

/// The WebSocket connections of one event loop: those with frames waiting, drained together by
/// a single event-loop task (a broadcast to 10,000 sockets costs one hop per event loop, not one
/// per socket), and all of them, in an intrusive list for the graceful shutdown.
final class LoopWriteScheduler: Sendable {
    private struct State {
        var pending: [WebSocketConnection] = []
        var scheduled = false
        var head: WebSocketConnection?
    }

    /// The loop whose connections this scheduler drains.
    let eventLoop: any EventLoop
    /// The allocator for frames written on this loop (every channel's default allocator).
    let allocator = ByteBufferAllocator()
    private let state = Mutex(State())
    private let framedPayloads = FramedPayloadCache()

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The framed bytes of a small message (see ``FramedPayloadCache``). Event loop only.
    func framed(_ payload: ByteBuffer, opcode: WebSocketFrameOpcode) -> ByteBuffer {
        eventLoop.assertInEventLoop()
        return framedPayloads.framed(payload, opcode: opcode, allocator: allocator)
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

    /// Adds an open connection to the list. The connection's list links are only touched
    /// under this scheduler's lock.
    func track(_ connection: WebSocketConnection) {
        state.withLock { state in
            connection.listNext = state.head
            state.head?.listPrevious = connection
            state.head = connection
        }
    }

    /// Removes a closed connection from the list.
    func untrack(_ connection: WebSocketConnection) {
        state.withLock { state in
            let previous = connection.listPrevious
            let next = connection.listNext
            if let previous {
                previous.listNext = next
            } else if state.head === connection {
                state.head = next
            }
            next?.listPrevious = previous
            connection.listPrevious = nil
            connection.listNext = nil
        }
    }

    /// The open connections of this loop.
    func trackedConnections() -> [WebSocketConnection] {
        state.withLock { state in
            var connections: [WebSocketConnection] = []
            var cursor = state.head
            while let connection = cursor {
                connections.append(connection)
                cursor = connection.listNext
            }
            return connections
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
