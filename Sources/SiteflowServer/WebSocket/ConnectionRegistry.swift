import SiteflowRealtime
import Synchronization

/// The live connections of one server, so that a graceful shutdown can close each WebSocket
/// with 1001 and end each long-poll session. One entry per connection; nothing else is kept.
final class ConnectionRegistry: Sendable {
    private let connections = Mutex<[ObjectIdentifier: any TransportConnection]>([:])

    /// Adds a connection.
    func insert(_ connection: any TransportConnection) {
        connections.withLock { table in
            table[ObjectIdentifier(connection)] = connection
        }
    }

    /// Forgets a connection that has closed.
    func remove(_ connection: any TransportConnection) {
        _ = connections.withLock { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// The connections alive now.
    func snapshot() -> [any TransportConnection] {
        connections.withLock { Array($0.values) }
    }

    /// How many connections are alive.
    var count: Int {
        connections.withLock { $0.count }
    }
}
