import Foundation
import SiteflowRuntime
import SiteflowStore
import SiteflowStoreTesting
import Testing

@Suite("Store: faults")
struct StoreFaultTests {
    @Test("a file that is not a SQLite database fails at open with a clear message")
    func corruptSQLite() async throws {
        let path = try StoreBackend.temporarySQLitePath()
        try Data(String(repeating: "this is not a database; ", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: StoreError.self) { try await SQLiteStore(path: path) }
        #expect(error?.code == .openFailed)
        #expect(error?.reason.contains(path) == true)
        #expect(error?.reason.contains("not a database") == true)
    }

    @Test("a SQLite path that cannot be written fails at open with a clear message")
    func unwritableSQLite() async throws {
        // A path below a regular file cannot be created, even by root.
        let file = try StoreBackend.temporarySQLitePath() + ".txt"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for path in ["\(file)/siteflow.db", "/nonexistent-siteflow-folder/siteflow.db"] {
            let error = await #expect(throws: StoreError.self) { try await SQLiteStore(path: path) }
            #expect(error?.code == .openFailed)
            #expect(error?.reason.contains("cannot open SQLite database at '\(path)'") == true)
        }
    }

    @Test("an unreachable PostgreSQL server fails at open with unavailable", .enabled(if: ThrowawayPostgres.isInstalled, "PostgreSQL binaries not installed: skipped"))
    func unreachablePostgres() async throws {
        let endpoint = PostgresEndpoint(host: "127.0.0.1", port: 1, username: "nobody", database: "nothing")
        let error = await #expect(throws: StoreError.self) {
            try await PostgresStore.opened(endpoint: endpoint, configuration: StoreConfiguration(operationTimeout: .seconds(2)))
        }
        #expect(error?.code == .unavailable)
    }

    @Test(
        "PostgreSQL stopped during use: operations fail with unavailable, and the store recovers by itself when it is back",
        .enabled(if: ThrowawayPostgres.isInstalled, "PostgreSQL binaries not installed: skipped"))
    func postgresOutage() async throws {
        // A server of its own: stopping the shared one would disturb the other tests.
        let server = try await ThrowawayPostgres.start()
        defer { try? server.stopServer() }
        // A loaded CI machine (every suite runs at once) can take seconds to answer the first
        // connection: allow 5 s per operation and a few attempts to open.
        let endpoint = try server.makeDatabase()
        var opened: PostgresStore?
        var attempts = 0
        while opened == nil {
            attempts += 1
            do {
                opened = try await PostgresStore.opened(endpoint: endpoint, configuration: StoreConfiguration(operationTimeout: .seconds(5)))
            } catch {
                if attempts >= 3 { throw error }
            }
        }
        let store = try #require(opened)
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime)
        _ = try await writer.write(NewMessage(room: "room:a", nickname: "ann", body: "before", idempotencyKey: "k1"))

        try server.stopServer()
        let direct = await #expect(throws: StoreError.self) { try await store.history(room: "room:a", limit: 10, before: nil) }
        #expect(direct?.code == .unavailable)
        let grouped = await #expect(throws: StoreError.self) {
            try await writer.write(NewMessage(room: "room:a", nickname: "ann", body: "during", idempotencyKey: "k2"))
        }
        #expect(grouped?.code == .unavailable)
        let claim = await #expect(throws: StoreError.self) {
            try await store.claimJobs(queue: "default", limit: 1, node: "a", now: Date(), leaseUntil: Date())
        }
        #expect(claim?.code == .unavailable)

        try server.startServer()
        // The pool reconnects on its own; retry the refused message (same key) until it is back.
        var stored: ChatMessage?
        for _ in 0..<100 where stored == nil {
            do {
                stored = try await writer.write(NewMessage(room: "room:a", nickname: "ann", body: "during", idempotencyKey: "k2"))
            } catch {
                #expect(error.code == .unavailable)
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        #expect(stored?.body == "during")
        let history = try await store.history(room: "room:a", limit: 10, before: nil)
        #expect(history.messages.map(\.body) == ["before", "during"])
        await writer.close()
        await store.close()
    }
}
