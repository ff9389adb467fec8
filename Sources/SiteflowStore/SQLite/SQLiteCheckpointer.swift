import GRDB
import Synchronization

/// Copies committed WAL frames into the SQLite database file on a connection of its own, so the
/// single writer seldom stops to do it.
///
/// SQLite's automatic checkpoint runs on the writing connection right after a commit, inside the
/// write lock: while it copies pages and syncs the database file, every queued commit waits, and
/// those stalls were the tail of the acknowledgement latency. Here every
/// ``commitsPerCheckpoint``-th ``kick()`` (one per write transaction) starts a PASSIVE
/// checkpoint on another connection, or asks for one more if one is running. A PASSIVE
/// checkpoint never takes the write lock, so commits go on meanwhile. The writer keeps its own
/// automatic checkpoint (``SQLiteStore/writerCheckpointPages``) as the bound on the WAL's size:
/// the WAL only starts over once a checkpoint has copied every frame before the next write
/// begins, which under steady writes is when the writer copies the little left over.
final class SQLiteCheckpointer: Sendable {
    private struct State {
        var running: Task<Void, Never>?
        var kicks = 0
        var again = false
        var closed = false
    }

    /// Write transactions per checkpoint.
    static let commitsPerCheckpoint = 8

    private let connection: DatabaseQueue
    private let state = Mutex(State())

    /// Opens the checkpointing connection to the database at `path` (already in WAL mode).
    init(path: String, label: String) throws {
        var configuration = Configuration()
        configuration.label = label
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Counts a committed write transaction, and asks for a checkpoint every
    /// ``commitsPerCheckpoint`` of them.
    func kick() {
        state.withLock { state in
            guard !state.closed else { return }
            state.kicks += 1
            guard state.kicks >= Self.commitsPerCheckpoint else { return }
            state.kicks = 0
            if state.running != nil {
                state.again = true
                return
            }
            state.running = Task { [self] in await self.run() }
        }
    }

    private func run() async {
        while true {
            // A failure (SQLITE_BUSY while the writer checkpoints by itself, I/O trouble) is left
            // to the next kick or the writer's own checkpoint: no committed data depends on it.
            _ = try? await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            let more = state.withLock { state -> Bool in
                if state.again, !state.closed {
                    state.again = false
                    return true
                }
                state.running = nil
                return false
            }
            if !more { return }
        }
    }

    /// Waits until no checkpoint is running or asked for.
    func waitUntilIdle() async {
        while let running = state.withLock({ $0.running }) { await running.value }
    }

    /// Stops taking kicks, waits for a running checkpoint, and closes the connection.
    func close() async {
        let running = state.withLock { state -> Task<Void, Never>? in
            state.closed = true
            return state.running
        }
        await running?.value
        try? connection.close()
    }
}
