import Foundation
import Logging
import ServiceLifecycle
import SiteflowApp
import SiteflowRealtime
import SiteflowObservability
import SiteflowRuntime
import SiteflowStore
import SiteflowStoreTesting
import SiteflowRuntimeTesting
import Testing

/// Runs ``SiteflowNode/run(_:gracefulShutdownSignals:onStarted:)`` as one service of a test's
/// group, handing the started node to `started` (finished when the run ends).
private struct NodeRun: Service {
    let configuration: NodeConfiguration
    let started: AsyncStream<SiteflowNode>.Continuation

    func run() async throws {
        // A node that fails to start ends the stream, so the test fails instead of waiting.
        defer { started.finish() }
        try await SiteflowNode.run(configuration) { node in started.yield(node) }
    }
}

@Suite("The store's long-lived parts run under the node")
struct StoreLifecycleTests {
    @Test("the nickname claims' writer is a supervised process: killed, it is restarted under its name and claims are still stored; the node's stop ends it")
    func claimWriterSupervised() async throws {
        let writer = try await withNode { node in
            let runtime = node.runtime
            let port = try #require(node.port)
            let writer = try #require(runtime.snapshots().first { $0.name == NodeProcessNames.nicknameClaimWriter && $0.id.isAlive })
            #expect(writer.kind == "nickname_claim_writer" && writer.parent == node.root.id)
            runtime.exit(writer.id, reason: .kill)
            // The root restarts it (transient, killed): wait for the root's DOWN to be handled.
            let restarted = try await waitForRestart(of: writer.id, named: NodeProcessNames.nicknameClaimWriter, in: node)
            #expect(restarted.parent == node.root.id)
            let client = try await PhoenixTestClient.connect(port: port)
            defer { client.close() }
            _ = try await client.join("room:lobby", payload: ["nickname": "Zoe"])
            await node.chat.claims.flush()
            #expect(try await node.store.nicknameClaims().contains { $0.key == "zoe" }, "the new writer stores the claim")
            return restarted.id
        }
        #expect(!writer.isAlive, "stopped with the node")
    }

    @Test("a node's start without a store for a PostgreSQL database is refused with a clear error (its pool runs in a group)")
    func postgresNeedsItsGroup() async throws {
        let endpoint = PostgresEndpoint(host: "127.0.0.1", port: 1, username: "nobody", database: "nothing")
        let error = await #expect(throws: StoreError.self) {
            _ = try await SiteflowNode.start(NodeConfiguration(port: 0, database: .postgres(endpoint), runsDigestJob: false))
        }
        #expect(error?.code == .openFailed)
        #expect(error?.reason.contains("SiteflowNode.run") == true)
    }

    @Test(
        "a PostgreSQL node runs its connection pool as a Service of its group: it serves chat, and a graceful shutdown stops the node and closes the store",
        .enabled(if: ThrowawayPostgres.isInstalled, "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: SKIPPED"))
    func postgresNodeInGroup() async throws {
        let server = try await ThrowawayPostgres.shared.value
        var configuration = NodeConfiguration(port: 0, database: .postgres(try server.makeDatabase()), runsDigestJob: false)
        // The whole suite shares two cores and one PostgreSQL server: a busy moment must not
        // read as an unavailable database.
        configuration.storeOperationTimeout = .seconds(30)
        let (started, continuation) = AsyncStream.makeStream(of: SiteflowNode.self)
        let group = ServiceGroup(services: [NodeRun(configuration: configuration, started: continuation)], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = started.makeAsyncIterator()
            let node = try #require(await iterator.next(), "the node started")
            #expect(node.store is PostgresStore)
            let client = try await PhoenixTestClient.connect(port: try #require(node.port))
            defer { client.close() }
            let join = try await client.join("room:pg", payload: ["nickname": "ann"])
            let ref = client.push(joinRef: join.joinRef, topic: "room:pg", event: "new_msg", payload: ["body": "hello"])
            #expect(try await client.reply(to: ref).payload["status"] == "ok")
            #expect(try await node.store.history(room: "pg", limit: 10, before: nil).messages.map(\.body) == ["hello"])
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(!node.root.id.isAlive)
            let closed = await #expect(throws: StoreError.self) { _ = try await node.store.rooms() }
            #expect(closed?.code == .closed)
        }
    }

    @Test("the history trim job runs on the job engine at its cron time, leaves each room its newest N, and counts on /metrics")
    func trimJobOnEngine() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-trim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // 08:01 UTC: the next 5-minute fire is 08:05.
        let clock = ManualClock(wallClockStart: 1_800_000_060 * 1_000_000_000)
        let store = try await SQLiteStore(path: folder.appendingPathComponent("chat.db").path, configuration: StoreConfiguration(clock: clock))
        let runtime = Runtime()
        defer { runtime.shutdown() }
        var sent: [ChatMessage] = []
        for index in 0..<25 { sent.append(try await store.insertMessage(NewMessage(room: "a", nickname: "ann", body: "\(index)", idempotencyKey: "k\(index)"))) }
        for index in 0..<4 { _ = try await store.insertMessage(NewMessage(room: "b", nickname: "bo", body: "\(index)")) }
        let statistics = HistoryTrimStatistics()
        var workers = JobWorkers()
        HistoryTrimJob.register(in: &workers, store: store, retention: HistoryRetention(keepPerRoom: 10, batchSize: 4), statistics: statistics)
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: JobEngineConfiguration(
            node: "trim", cron: [try HistoryTrimJob.schedule()], pruneAfter: nil))
        let metrics = NodeMetrics()
        metrics.add(HistoryMetrics(statistics: statistics, registry: metrics.registry))

        #expect(try await engine.tick().isEmpty, "before its fire time nothing runs")
        _ = clock.advance(by: .seconds(240))
        #expect(try await engine.tick().map(\.kind) == [HistoryTrimJob.kind.name])
        await engine.waitUntilIdle()
        #expect(try await store.history(room: "a", limit: 100, before: nil).messages == Array(sent.suffix(10)))
        #expect(try await store.history(room: "b", limit: 100, before: nil).messages.count == 4)
        #expect(statistics.trimmed == 15)
        #expect(String(decoding: metrics.scrape(), as: UTF8.self).contains("siteflow_messages_trimmed_total 15"))
        // A kept message's key still answers its retry.
        #expect(try await store.insertMessage(NewMessage(room: "a", nickname: "ann", body: "24", idempotencyKey: "k24")) == sent[24])
        await engine.stop()
        await store.close()
    }

    /// Waits until a live process other than `old` is registered under `name` as a child of the
    /// root (each check waits on the root's answer to `whichChildren`).
    private func waitForRestart(of old: ProcessID, named name: String, in node: SiteflowNode) async throws -> ProcessSnapshot {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let children = try await node.root.whichChildren()
            if let found = node.runtime.snapshots().first(where: { $0.name == name && $0.id.isAlive && $0.id != old }),
               children.contains(where: { $0.process == found.id }) {
                return found
            }
            await Task.yield()
        }
        Issue.record("\(name) was not restarted")
        throw CancellationError()
    }
}
