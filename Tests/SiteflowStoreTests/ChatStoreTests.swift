import Foundation
import SiteflowRuntime
import SiteflowStore
import SiteflowStoreTesting
import Testing
import SiteflowRuntimeTesting

@Suite("Store: chat history")
struct ChatStoreTests {
    @Test("migrations run at start-up, once: reopening applies nothing again", arguments: StoreBackend.available)
    func migrations(backend: StoreBackend) async throws {
        switch backend {
        case .sqlite:
            let path = try StoreBackend.temporarySQLitePath()
            let first = try await SQLiteStore(path: path)
            _ = try await first.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "kept"))
            #expect(try await first.appliedMigrations() == [1, 2, 3, 4, 5])
            await first.close()
            let second = try await SQLiteStore(path: path)
            #expect(try await second.appliedMigrations() == [1, 2, 3, 4, 5])
            #expect(try await second.history(room: "room:a", limit: 10, before: nil).messages.map(\.body) == ["kept"])
            await second.close()
        case .postgres:
            let server = try await ThrowawayPostgres.shared.value
            let endpoint = try server.makeDatabase()
            let first = try await PostgresStore.opened(endpoint: endpoint)
            _ = try await first.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "kept"))
            #expect(try await first.appliedMigrations() == [1, 2, 3, 4, 5])
            await first.close()
            let second = try await PostgresStore.opened(endpoint: endpoint)
            #expect(try await second.appliedMigrations() == [1, 2, 3, 4, 5])
            #expect(try await second.history(room: "room:a", limit: 10, before: nil).messages.map(\.body) == ["kept"])
            await second.close()
        }
    }

    @Test("history returns the latest messages oldest first, and pages back with cursors", arguments: StoreBackend.available)
    func history(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        for index in 1...25 {
            _ = try await store.insertMessage(NewMessage(room: "room:lobby", nickname: "ann", body: "m\(index)"))
            _ = try await store.insertMessage(NewMessage(room: "room:other", nickname: "bob", body: "x\(index)"))
            clock.advance(by: .seconds(1))
        }
        let latest = try await store.history(room: "room:lobby", limit: 10, before: nil)
        #expect(latest.messages.map(\.body) == (16...25).map { "m\($0)" })
        #expect(latest.messages.allSatisfy { $0.room == "room:lobby" && $0.nickname == "ann" })
        let cursor = try #require(latest.olderCursor)
        #expect(MessageCursor(token: cursor.token) == cursor)
        let older = try await store.history(room: "room:lobby", limit: 10, before: cursor)
        #expect(older.messages.map(\.body) == (6...15).map { "m\($0)" })
        let olderCursor = try #require(older.olderCursor)
        let oldest = try await store.history(room: "room:lobby", limit: 10, before: olderCursor)
        #expect(oldest.messages.map(\.body) == (1...5).map { "m\($0)" })
        #expect(oldest.olderCursor == nil)
        #expect(latest.messages.last?.insertedAt == clock.date().addingTimeInterval(-1))
        #expect(try await store.rooms() == ["room:lobby", "room:other"])
        #expect(try await store.history(room: "room:empty", limit: 5, before: nil) == HistoryPage(messages: [], olderCursor: nil))
        await store.close()
    }

    @Test("a page size outside 1…1000 is refused", arguments: StoreBackend.available)
    func badLimit(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        for limit in [0, -1, 1001] {
            let error = await #expect(throws: StoreError.self) { try await store.history(room: "r", limit: limit, before: nil) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(MessageCursor(token: "garbage") == nil)
        await store.close()
    }

    @Test("a retried message with the same idempotency key is stored once", arguments: StoreBackend.available)
    func idempotency(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        let message = NewMessage(room: "room:a", nickname: "ann", body: "hello", idempotencyKey: "client-1:42")
        let first = try await store.insertMessage(message)
        let retry = try await store.insertMessage(message)
        #expect(retry == first)
        // The same key in another room is another message.
        let elsewhere = try await store.insertMessage(NewMessage(room: "room:b", nickname: "ann", body: "hello", idempotencyKey: "client-1:42"))
        #expect(elsewhere.id != first.id)
        // Duplicates inside one transaction resolve to the first.
        let result = try await store.transaction { tx in
            tx.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "second", idempotencyKey: "k2"))
            tx.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "second again", idempotencyKey: "k2"))
            tx.insertMessage(message)
        }
        #expect(result.messages[0].id == result.messages[1].id)
        #expect(result.messages[1].body == "second")
        #expect(result.messages[2] == first)
        let stored = try await store.history(room: "room:a", limit: 100, before: nil).messages
        #expect(stored.map(\.body) == ["hello", "second"])
        await store.close()
    }

    @Test(
        "an idempotency key belongs to its sender: another sender's message with the same key is stored and acknowledged as its own",
        arguments: StoreBackend.available)
    func idempotencyKeyScopedToSender(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        let mallorys = try await store.insertMessage(NewMessage(room: "room:a", nickname: "mallory", body: "first", idempotencyKey: "K"))
        let alices = try await store.insertMessage(NewMessage(room: "room:a", nickname: "alice", body: "mine", idempotencyKey: "K"))
        #expect(alices.id != mallorys.id)
        #expect(alices.nickname == "alice" && alices.body == "mine")
        // Each sender's retry is still answered with that sender's own message.
        #expect(try await store.insertMessage(NewMessage(room: "room:a", nickname: "alice", body: "mine", idempotencyKey: "K")) == alices)
        #expect(try await store.insertMessage(NewMessage(room: "room:a", nickname: "mallory", body: "again", idempotencyKey: "K")) == mallorys)
        // Inside one transaction too: two senders, one key, two messages; each retry resolves to its sender's.
        let batch = try await store.transaction { tx in
            tx.insertMessage(NewMessage(room: "room:a", nickname: "bob", body: "bob's", idempotencyKey: "J"))
            tx.insertMessage(NewMessage(room: "room:a", nickname: "carol", body: "carol's", idempotencyKey: "J"))
            tx.insertMessage(NewMessage(room: "room:a", nickname: "bob", body: "bob's retry", idempotencyKey: "J"))
            tx.insertMessage(NewMessage(room: "room:a", nickname: "alice", body: "retry", idempotencyKey: "K"))
        }.messages
        #expect(batch[0].nickname == "bob" && batch[1].nickname == "carol" && batch[0].id != batch[1].id)
        #expect(batch[2] == batch[0])
        #expect(batch[3] == alices)
        let stored = try await store.history(room: "room:a", limit: 100, before: nil).messages
        #expect(stored.map(\.body) == ["first", "mine", "bob's", "carol's"])
        await store.close()
    }

    @Test(
        "invalid or oversized messages are refused before they reach the store",
        arguments: StoreBackend.available)
    func invalidMessages(backend: StoreBackend) async throws {
        let store = try await backend.makeStore(limits: MessageLimits(maxBodyBytes: 100))
        let cases: [(NewMessage, StoreError.Code)] = [
            (NewMessage(room: "r", nickname: "ann", body: String(repeating: "x", count: 101)), .messageTooLarge),
            (NewMessage(room: "r", nickname: "ann", body: ""), .invalidMessage),
            (NewMessage(room: "r", nickname: "ann", body: "  \n"), .invalidMessage),
            (NewMessage(room: "", nickname: "ann", body: "hi"), .invalidMessage),
            (NewMessage(room: "r", nickname: "", body: "hi"), .invalidMessage),
            (NewMessage(room: "r", nickname: "ann", body: "nul\u{0}byte"), .invalidMessage),
            (NewMessage(room: "r", nickname: "ann", body: "hi", idempotencyKey: ""), .invalidMessage),
        ]
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime)
        for (message, code) in cases {
            let direct = await #expect(throws: StoreError.self) { try await store.insertMessage(message) }
            #expect(direct?.code == code)
            let grouped = await #expect(throws: StoreError.self) { try await writer.write(message) }
            #expect(grouped?.code == code)
        }
        // 100 bytes of multi-byte text is the limit, in bytes.
        _ = try await writer.write(NewMessage(room: "r", nickname: "ann", body: String(repeating: "é", count: 50)))
        #expect(try await store.history(room: "r", limit: 10, before: nil).messages.count == 1)
        await writer.close()
        await store.close()
    }

    @Test("a transaction stores all its writes or none", arguments: StoreBackend.available)
    func atomicity(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        let welcome = JobKind<[String: String]>("welcome")
        let result = try await store.transaction { tx in
            tx.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "joined"))
            tx.enqueue(try welcome.job(["user": "ann"], queue: "mail"))
        }
        #expect(result.messages.count == 1)
        #expect(result.jobs.count == 1)
        let jobs = try await store.jobs(queue: "mail")
        #expect(jobs.map(\.kind) == ["welcome"])
        // One invalid write fails the whole transaction: neither the message nor the job is stored.
        let error = await #expect(throws: StoreError.self) {
            try await store.transaction { tx in
                tx.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "lost"))
                tx.enqueue(try welcome.job(["user": "bob"], queue: "mail"))
                tx.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: ""))
            }
        }
        #expect(error?.code == .invalidMessage)
        #expect(try await store.history(room: "room:a", limit: 10, before: nil).messages.map(\.body) == ["joined"])
        #expect(try await store.jobs(queue: "mail").count == 1)
        await store.close()
    }

    @Test("group commit: concurrent senders are all acknowledged after commit, each message stored once", arguments: StoreBackend.available)
    func groupCommit(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime, maxBatch: 64)
        let acks = try await withThrowingTaskGroup(of: ChatMessage.self) { group in
            for sender in 0..<300 {
                group.addTask {
                    try await writer.write(NewMessage(room: "room:load", nickname: "s\(sender)", body: "hello \(sender)", idempotencyKey: "k\(sender)"))
                }
            }
            var acks: [ChatMessage] = []
            for try await ack in group { acks.append(ack) }
            return acks
        }
        #expect(acks.count == 300)
        #expect(Set(acks.map(\.id)).count == 300)
        for ack in acks { #expect(ack.body == "hello \(ack.nickname.dropFirst())") }
        var stored: [ChatMessage] = []
        var cursor: MessageCursor?
        repeat {
            let page = try await store.history(room: "room:load", limit: 100, before: cursor)
            stored = page.messages + stored
            cursor = page.olderCursor
        } while cursor != nil
        #expect(Set(stored) == Set(acks))
        await writer.close()
        let closed = await #expect(throws: StoreError.self) { try await writer.write(NewMessage(room: "r", nickname: "n", body: "late")) }
        #expect(closed?.code == .closed)
        await store.close()
    }

    @Test("a closed store refuses operations with a typed error", arguments: StoreBackend.available)
    func closedStore(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        await store.close()
        let error = await #expect(throws: StoreError.self) { try await store.rooms() }
        #expect(error?.code == .closed)
    }
}
