@testable import SiteflowStore
import SiteflowStoreTesting
import Testing

@Suite("Store: SQLite schema upgrades")
struct SQLiteSchemaUpgradeTests {
    @Test("a database from before migration 3 upgrades in place: its keyed messages still deduplicate retries, keyless ones are still stored")
    func keyedOnlyIdempotencyIndex() async throws {
        let path = try StoreBackend.temporarySQLitePath()
        let older = try await SQLiteStore(
            path: path, configuration: StoreConfiguration(), migrations: SchemaMigration.all.filter { $0.version < 3 })
        #expect(try await older.appliedMigrations() == [1, 2])
        // Rows as the code of that time wrote them (its ON CONFLICT target is gone since migration 4).
        try await older.execute(trustedSQL: [
            "INSERT INTO siteflow_messages (room, nickname, body, inserted_at, idempotency_key) VALUES ('room:a', 'ann', 'first', 1, 'k1')",
            "INSERT INTO siteflow_messages (room, nickname, body, inserted_at, idempotency_key) VALUES ('room:a', 'ann', 'no key', 2, NULL)",
        ])
        await older.close()

        let upgraded = try await SQLiteStore(path: path)
        #expect(try await upgraded.appliedMigrations() == [1, 2, 3, 4, 5])
        let retried = try await upgraded.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "first again", idempotencyKey: "k1"))
        #expect(retried.id == 1 && retried.body == "first")
        _ = try await upgraded.insertMessage(NewMessage(room: "room:a", nickname: "bob", body: "no key either"))
        _ = try await upgraded.insertMessage(NewMessage(room: "room:a", nickname: "bob", body: "no key either"))
        let bodies = try await upgraded.history(room: "room:a", limit: 10, before: nil).messages.map(\.body)
        #expect(bodies == ["first", "no key", "no key either", "no key either"])
        await upgraded.close()
    }

    @Test("looking up a retried idempotency key uses the keyed-only unique index, not a scan of the room")
    func idempotencyLookupUsesIndex() async throws {
        let store = try await SQLiteStore(path: try StoreBackend.temporarySQLitePath())
        let plan = try await store.idempotencyLookupPlan()
        #expect(plan.contains { $0.contains("USING INDEX siteflow_messages_idempotency") }, "plan: \(plan)")
        await store.close()
    }
}
