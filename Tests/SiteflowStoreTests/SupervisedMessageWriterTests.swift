import SiteflowRuntime
import SiteflowStore
import Testing

/// Waits for `count` values from `stream`, failing after 10 s (a bound for a hang, not a timing
/// assertion).
private func take<T: Sendable>(_ count: Int, from stream: AsyncStream<T>) async throws -> [T] {
    try await withThrowingTaskGroup(of: [T]?.self) { group in
        group.addTask {
            var values: [T] = []
            for await value in stream {
                values.append(value)
                if values.count == count { break }
            }
            return values
        }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return try #require(first, "timed out waiting for \(count) results")
    }
}

/// A writer whose committing process a supervisor runs (the node's tree, ADR 0013).
@Suite("MessageWriter under a supervisor")
struct SupervisedMessageWriterTests {
    @Test("messages queued while no committing process runs are committed by the one its supervisor starts")
    func queuedBeforeTheProcessStarts() async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await StoreBackend.sqlite.makeStore()
        let writer = MessageWriter(store: store)
        let (results, sink) = AsyncStream<Result<ChatMessage, StoreError>>.makeStream()
        for index in 0..<3 {
            try writer.submit(NewMessage(room: "room:s", nickname: "ann", body: "m\(index)")) { sink.yield($0) }
        }
        let supervisor = try await Supervisor.start(
            runtime: runtime, strategy: .oneForOne, children: [writer.committerSpec(name: "writer")])
        let committed = try await take(3, from: results).map { try $0.get().body }
        #expect(committed == ["m0", "m1", "m2"])
        await writer.close()
        _ = await supervisor.stop(reason: .shutdown)
        await store.close()
    }

    @Test("a killed committing process is restarted under its name, and the writer commits through the new one")
    func killedAndRestarted() async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await StoreBackend.sqlite.makeStore()
        let writer = MessageWriter(store: store)
        let supervisor = try await Supervisor.start(
            runtime: runtime, strategy: .oneForOne, children: [writer.committerSpec(id: "w", name: "writer")])
        let first = try #require(try await supervisor.whichChildren().first?.process)
        #expect(try await writer.write(NewMessage(room: "room:s", nickname: "ann", body: "before")).body == "before")
        runtime.exit(first, reason: .kill)
        #expect(await runtime.waitForExit(first) == .killed)
        // Written at once after the kill: queued until the new process takes the queue over.
        let after = try await writer.write(NewMessage(room: "room:s", nickname: "ann", body: "after"))
        #expect(after.body == "after")
        let second = try #require(try await supervisor.whichChildren().first?.process)
        #expect(second != first)
        #expect(runtime.snapshots().first { $0.name == "writer" }?.id == second)
        await writer.close()
        #expect(await runtime.waitForExit(second) == .normal)
        #expect(try await supervisor.whichChildren().first?.process == nil, "closed: not restarted")
        _ = await supervisor.stop(reason: .shutdown)
        await store.close()
    }

    @Test("if its supervisor stops it without close(), queued and later messages fail with closed")
    func stoppedBySupervisor() async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await StoreBackend.sqlite.makeStore()
        let writer = MessageWriter(store: store)
        let supervisor = try await Supervisor.start(
            runtime: runtime, strategy: .oneForOne, children: [writer.committerSpec()])
        _ = await supervisor.stop(reason: .shutdown)
        let refused = await #expect(throws: StoreError.self) {
            _ = try await writer.write(NewMessage(room: "room:s", nickname: "ann", body: "late"))
        }
        #expect(refused?.code == .closed)
        await store.close()
    }
}
