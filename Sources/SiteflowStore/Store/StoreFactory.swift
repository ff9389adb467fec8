/// Opens the store a ``DatabaseURL`` names, with its migrations applied.
public enum StoreFactory {
    /// Opens a ``SQLiteStore`` or a ``PostgresStore`` and runs pending migrations.
    /// - Throws: ``StoreError`` `openFailed`, `migrationFailed` or `unavailable`.
    public static func open(_ url: DatabaseURL, configuration: StoreConfiguration = StoreConfiguration()) async throws(StoreError) -> any Store {
        switch url {
        case .sqlite(let path):
            return try await SQLiteStore(path: path, configuration: configuration)
        case .postgres(let endpoint):
            return try await PostgresStore(endpoint: endpoint, configuration: configuration)
        }
    }
}
