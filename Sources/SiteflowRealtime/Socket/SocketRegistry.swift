import SiteflowRuntime
import Synchronization

/// The open sockets of one endpoint, by their output: what the idle sweep and the shutdown walk.
///
/// A socket is added when its process starts and removed when its connection ends, from either
/// side: the socket closing its output, or the transport reporting the close. A socket process
/// that dies without closing (killed) is found by ``RealtimeEndpoint/tick()``, which then closes
/// its connection. No per-socket exit hook or closure is kept.
final class SocketRegistry: SocketOutputRegistry {
    /// One open socket: its process and its output.
    struct Entry: Sendable {
        let socket: PID<SocketMessage>
        let output: SocketOutput
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    /// Sockets registered now.
    var count: Int { entries.withLock { $0.count } }

    func add(_ socket: PID<SocketMessage>, output: SocketOutput) {
        entries.withLock { $0[ObjectIdentifier(output)] = Entry(socket: socket, output: output) }
    }

    /// Removes the socket writing to `output` (idempotent).
    func remove(_ output: SocketOutput) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(output)) }
    }

    /// The sockets registered now (a snapshot taken under the lock, walked outside it).
    func snapshot() -> [Entry] {
        entries.withLock { Array($0.values) }
    }
}
