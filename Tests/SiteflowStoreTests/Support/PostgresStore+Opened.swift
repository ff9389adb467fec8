@testable import SiteflowStore

extension PostgresStore {
    /// Opens a store whose connections run until the test closes it (``PostgresStore/close()``
    /// ends ``PostgresStore/run()``, and with it the task that runs it); a failed open closes it.
    /// By default operations may take 30 s: the whole suite shares two cores and one PostgreSQL
    /// server, and a busy moment must not read as an unavailable database (the fault specs set
    /// their own short timeouts).
    static func opened(
        endpoint: PostgresEndpoint, configuration: StoreConfiguration = StoreConfiguration(operationTimeout: .seconds(30)),
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
