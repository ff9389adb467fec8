@testable import SiteflowStore
import SiteflowStoreTesting
import Testing

@Suite("Store: schema upgrade to sender-scoped idempotency keys")
struct SenderScopedIdempotencyUpgradeTests {
    @Test(
        "a database from before migration 4 upgrades in place: stored keys still answer their sender's retries, and another sender's same key is a new message",
        arguments: StoreBackend.available)
    func upgradesInPlace(backend: StoreBackend) async throws {
        let before = SchemaMigration.all.filter { $0.version < 4 }
        let open: @Sendable ([SchemaMigration]) async throws -> any Store
        switch backend {
        case .sqlite:
            let path = try StoreBackend.temporarySQLitePath()
            open = { migrations in try await SQLiteStore(path: path, configuration: StoreConfiguration(), migrations: migrations) }
        case .postgres:
            let endpoint = try await ThrowawayPostgres.shared.value.makeDatabase()
            open = { migrations in try await PostgresStore.opened(endpoint: endpoint, migrations: migrations) }
        }
        // Rows as the code before migration 4 wrote them (its ON CONFLICT target is gone since).
        let older = try await open(before)
        try await execute(older, [
            "INSERT INTO siteflow_messages (room, nickname, body, inserted_at, idempotency_key) VALUES ('room:a', 'mallory', 'first', 1, 'K')",
            "INSERT INTO siteflow_messages (room, nickname, body, inserted_at, idempotency_key) VALUES ('room:a', 'ann', 'no key', 2, NULL)",
        ])
        await older.close()

        let upgraded = try await open(SchemaMigration.all)
        #expect(try await applied(upgraded) == [1, 2, 3, 4, 5])
        let original = try await upgraded.insertMessage(NewMessage(room: "room:a", nickname: "mallory", body: "again", idempotencyKey: "K"))
        #expect(original.body == "first" && original.nickname == "mallory")
        let alices = try await upgraded.insertMessage(NewMessage(room: "room:a", nickname: "alice", body: "mine", idempotencyKey: "K"))
        #expect(alices.id != original.id && alices.nickname == "alice")
        _ = try await upgraded.insertMessage(NewMessage(room: "room:a", nickname: "bob", body: "no key either"))
        _ = try await upgraded.insertMessage(NewMessage(room: "room:a", nickname: "bob", body: "no key either"))
        let bodies = try await upgraded.history(room: "room:a", limit: 10, before: nil).messages.map(\.body)
        #expect(bodies == ["first", "no key", "mine", "no key either", "no key either"])
        await upgraded.close()
    }

    private func execute(_ store: any Store, _ statements: [String]) async throws {
        if let sqlite = store as? SQLiteStore { try await sqlite.execute(trustedSQL: statements) }
        if let postgres = store as? PostgresStore { try await postgres.execute(trustedSQL: statements) }
    }

    private func applied(_ store: any Store) async throws -> [Int] {
        if let sqlite = store as? SQLiteStore { return try await sqlite.appliedMigrations() }
        if let postgres = store as? PostgresStore { return try await postgres.appliedMigrations() }
        return []
    }
}
