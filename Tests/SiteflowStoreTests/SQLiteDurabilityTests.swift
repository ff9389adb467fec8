import Foundation
@testable import SiteflowStore
import Testing

@Suite("Store: SQLite writer settings")
struct SQLiteDurabilityTests {
    @Test("the SQLite writer syncs every commit (synchronous = FULL, also after GRDB turned WAL on) and checkpoints at its own threshold")
    func synchronousFull() async throws {
        let store = try await SQLiteStore(path: try StoreBackend.temporarySQLitePath())
        #expect(try await store.writerSynchronousLevel() == 2)
        #expect(try await store.writerAutoCheckpointPages() == SQLiteStore.writerCheckpointPages)
        await store.close()
    }

    @Test("committed pages reach the database file through the background checkpointer, not the writer")
    func backgroundCheckpoint() async throws {
        let path = try StoreBackend.temporarySQLitePath()
        let store = try await SQLiteStore(path: path)
        let before = try fileSize(path)
        var stored: [ChatMessage] = []
        for round in 0..<SQLiteCheckpointer.commitsPerCheckpoint {
            stored += try await store.transaction { tx in
                for index in 0..<100 {
                    tx.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "message \(round)-\(index)", idempotencyKey: "\(round)-\(index)"))
                }
            }.messages
        }
        await store.checkpointer.waitUntilIdle()
        // The writer's own threshold (10,000 pages) is far away: only the checkpointer copied.
        #expect(try fileSize(path) > before)
        #expect(try await store.history(room: "room:a", limit: 1000, before: nil).messages == stored)
        await store.close()
    }

    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
