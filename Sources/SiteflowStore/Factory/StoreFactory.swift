/// Opens the store a ``DatabaseURL`` names, with its migrations applied.
public enum StoreFactory {
    /// Runs `body` with the open store `url` names, then closes it. A ``PostgresStore``'s
    /// connections run in a child task for the length of the call (a node runs them in its
    /// `ServiceGroup` instead).
    /// - Throws: ``StoreError`` `openFailed`, `migrationFailed` or `unavailable`; what `body` throws.
    public static func withStore<Result>(
        _ url: DatabaseURL, configuration: StoreConfiguration = StoreConfiguration(), _ body: (any Store) async throws -> Result
    ) async throws -> Result {
        switch url {
        case .sqlite(let path):
            let store = try await SQLiteStore(path: path, configuration: configuration)
            do {
                let result = try await body(store)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        case .postgres(let endpoint):
            return try await PostgresStore.withStore(endpoint: endpoint, configuration: configuration) { try await body($0) }
        }
    }
}
