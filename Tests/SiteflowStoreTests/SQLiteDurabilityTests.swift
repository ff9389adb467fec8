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
}
