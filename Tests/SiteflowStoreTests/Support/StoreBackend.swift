import Foundation
import SiteflowRuntime
import SiteflowStore
import SiteflowStoreTesting
import Testing
import SiteflowRuntimeTesting

/// The databases the behavioural suite runs against. PostgreSQL is included only when its
/// binaries are installed; ``StoreBackendAvailabilityTests`` reports the skip.
enum StoreBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// The backends this machine can test.
    static var available: [StoreBackend] { ThrowawayPostgres.isInstalled ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }

    /// Opens a fresh, empty store of this kind (its own SQLite file or PostgreSQL database).
    func makeStore(clock: any RuntimeClock = ManualClock(), limits: MessageLimits = MessageLimits()) async throws -> any Store {
        var configuration = StoreConfiguration(clock: clock, limits: limits)
        // The whole suite runs in one process on two cores: a busy moment must not read as an
        // unavailable database (the fault specs set their own short timeouts).
        configuration.operationTimeout = .seconds(30)
        switch self {
        case .sqlite:
            return try await SQLiteStore(path: try Self.temporarySQLitePath(), configuration: configuration)
        case .postgres:
            let server = try await ThrowawayPostgres.shared.value
            return try await PostgresStore.opened(endpoint: try server.makeDatabase(), configuration: configuration)
        }
    }

    /// A path for a new SQLite file in a new temporary folder.
    static func temporarySQLitePath() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("test.db").path
    }
}

@Suite("Store backends")
struct StoreBackendAvailabilityTests {
    @Test(
        "PostgreSQL runs of the store suite",
        .enabled(
            if: ThrowawayPostgres.isInstalled,
            "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: every PostgreSQL run of the store suite was SKIPPED"))
    func postgresIsTested() async throws {
        let server = try await ThrowawayPostgres.shared.value
        #expect(server.port > 0)
    }
}
