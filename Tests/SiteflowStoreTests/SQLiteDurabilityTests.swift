@testable import SiteflowStore
import Testing

@Suite("Store: SQLite durability settings")
struct SQLiteDurabilityTests {
    @Test("the SQLite writer syncs every commit (synchronous = FULL), also after GRDB turned WAL on")
    func synchronousFull() async throws {
        let store = try await SQLiteStore(path: try StoreBackend.temporarySQLitePath())
        #expect(try await store.writerSynchronousLevel() == 2)
        await store.close()
    }
}
