import SiteflowRuntime
import SiteflowStore
import Testing

/// The message writer commits from a process of the runtime, not from a bare task.
@Suite("MessageWriter: the committing process")
struct MessageWriterProcessTests {
    @Test("commits run in a message_writer process, which close() ends normally after committing")
    func committerIsAProcess() async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await StoreBackend.sqlite.makeStore()
        let writer = try await MessageWriter(store: store, runtime: runtime)
        let committers = runtime.snapshots().filter { $0.kind == "message_writer" }
        #expect(committers.count == 1)
        let stored = try await writer.write(NewMessage(room: "room:p", nickname: "ann", body: "hi"))
        #expect(stored.body == "hi")
        await writer.close()
        let committer = try #require(committers.first)
        #expect(await runtime.waitForExit(committer.id) == .normal)
        let refused = await #expect(throws: StoreError.self) {
            _ = try await writer.write(NewMessage(room: "room:p", nickname: "ann", body: "late"))
        }
        #expect(refused?.code == .closed)
        await store.close()
    }

    @Test("if the committing process is killed, later messages fail with closed instead of waiting for ever")
    func killedCommitter() async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await StoreBackend.sqlite.makeStore()
        let writer = try await MessageWriter(store: store, runtime: runtime)
        let committer = try #require(runtime.snapshots().first { $0.kind == "message_writer" })
        runtime.exit(committer.id, reason: .kill)
        #expect(await runtime.waitForExit(committer.id) == .killed)
        let refused = await #expect(throws: StoreError.self) {
            _ = try await writer.write(NewMessage(room: "room:p", nickname: "ann", body: "after the kill"))
        }
        #expect(refused?.code == .closed)
        await writer.close()
        await store.close()
    }
}
