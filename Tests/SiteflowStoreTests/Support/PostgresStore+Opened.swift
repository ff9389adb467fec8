@testable import SiteflowStore

extension PostgresStore {
    /// Opens a store whose connections run until the test closes it (``PostgresStore/close()``
    /// ends ``PostgresStore/run()``, and with it the task that runs it); a failed open closes it.
    static func opened(
        endpoint: PostgresEndpoint, configuration: StoreConfiguration = StoreConfiguration(),
        migrations: [SchemaMigration] = SchemaMigration.all
    ) async throws -> PostgresStore {
        let store = PostgresStore(endpoint: endpoint, configuration: configuration)
        // Bounded by the store's life: the test owns the pair (this run, its close()).
        Task { await store.run() }
        do {
            try await store.open(migrations: migrations)
        } catch {
            await store.close()
            throw error
        }
        return store
    }
}
