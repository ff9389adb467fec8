import SiteflowRealtime
import Synchronization

/// What a server knows about its open WebSockets: how many there are, and the per-loop
/// schedulers whose intrusive lists reach each of them (for the graceful shutdown). A socket
/// costs two list pointers, not a table entry.
final class ConnectionRegistry: Sendable {
    private let openWebSockets = Atomic<Int>(0)
    private let schedulers = Mutex<[LoopWriteScheduler]>([])

    /// Remembers the schedulers of a started server.
    func use(_ schedulers: [LoopWriteScheduler]) {
        self.schedulers.withLock { $0 = schedulers }
    }

    /// A WebSocket was accepted.
    func webSocketOpened() {
        openWebSockets.add(1, ordering: .relaxed)
    }

    /// A WebSocket has closed.
    func webSocketClosed() {
        openWebSockets.subtract(1, ordering: .relaxed)
    }

    /// How many WebSockets are open.
    var webSocketCount: Int {
        openWebSockets.load(ordering: .relaxed)
    }

    /// Closes every open WebSocket with `code` and `reason`.
    func closeAllWebSockets(code: TransportCloseCode, reason: String) {
        for scheduler in schedulers.withLock({ $0 }) {
            for connection in scheduler.trackedConnections() {
                connection.close(code: code, reason: reason)
            }
        }
    }
}
