import Foundation
import SiteflowRuntime
import SiteflowStore
import SiteflowStoreTesting
import Testing
import SiteflowRuntimeTesting

@Suite("Store: message batches and group commit failures")
struct MessageBatchTests {
    /// Every message of `room` in the store, oldest first.
    private func stored(_ store: any MessageStore, room: String) async throws -> [ChatMessage] {
        var messages: [ChatMessage] = []
        var cursor: MessageCursor?
        repeat {
            let page = try await store.history(room: room, limit: 1000, before: cursor)
            messages = page.messages + messages
            cursor = page.olderCursor
        } while cursor != nil
        return messages
    }

    @Test(
        "a transaction larger than one multi-row statement stores every message, in order, with growing ids",
        arguments: StoreBackend.available)
    func largeBatch(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        // Several full chunks and a remainder that needs statements of several sizes.
        let count = 64 * 3 + 32 + 7
        let messages = (0..<count).map { index in
            NewMessage(
                room: "room:\(index % 3)", nickname: "n\(index)", body: "m\(index)",
                idempotencyKey: index % 2 == 0 ? "k\(index)" : nil)
        }
        let result = try await store.transaction { tx in for message in messages { tx.insertMessage(message) } }
        #expect(result.messages.count == count)
        #expect(result.messages.map(\.body) == messages.map(\.body))
        #expect(result.messages.map(\.room) == messages.map(\.room))
        #expect(result.messages.map(\.nickname) == messages.map(\.nickname))
        #expect(result.messages.map(\.idempotencyKey) == messages.map(\.idempotencyKey))
        #expect(result.messages.allSatisfy { $0.insertedAt == clock.date() })
        let ids = result.messages.map(\.id)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        for room in ["room:0", "room:1", "room:2"] {
            #expect(try await stored(store, room: room) == result.messages.filter { $0.room == room })
        }
        let later = try await store.insertMessage(NewMessage(room: "room:0", nickname: "ann", body: "later"))
        #expect(later.id > (ids.last ?? .max))
        await store.close()
    }

    @Test(
        "one transaction mixing new messages, retries of stored keys and keys repeated inside it",
        arguments: StoreBackend.available)
    func mixedRetries(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        let originals = try await store.transaction { tx in
            for index in 0..<10 {
                tx.insertMessage(NewMessage(room: "room:a", nickname: "bob", body: "original \(index)", idempotencyKey: "k\(index)"))
            }
        }.messages
        // Per group of five: a retry of a stored key, a message without key, a new key, a repeat
        // of that new key, and the stored key in another room (a different message).
        var batch: [NewMessage] = []
        for group in 0..<30 {
            let stored = "k\(group % 10)"
            batch.append(NewMessage(room: "room:a", nickname: "bob", body: "retry \(group)", idempotencyKey: stored))
            batch.append(NewMessage(room: "room:a", nickname: "bob", body: "keyless \(group)"))
            batch.append(NewMessage(room: "room:a", nickname: "bob", body: "new \(group)", idempotencyKey: "n\(group)"))
            batch.append(NewMessage(room: "room:a", nickname: "bob", body: "new again \(group)", idempotencyKey: "n\(group)"))
            batch.append(NewMessage(room: "room:b", nickname: "bob", body: "elsewhere \(group)", idempotencyKey: stored))
        }
        let result = try await store.transaction { tx in for message in batch { tx.insertMessage(message) } }.messages
        #expect(result.count == batch.count)
        var fresh: [ChatMessage] = []
        for group in 0..<30 {
            let base = group * 5
            #expect(result[base] == originals[group % 10])
            #expect(result[base + 1].body == "keyless \(group)")
            #expect(result[base + 2].body == "new \(group)")
            #expect(result[base + 3] == result[base + 2])
            if group < 10 {
                #expect(result[base + 4].body == "elsewhere \(group)")
                fresh += [result[base + 1], result[base + 2], result[base + 4]]
            } else {
                // The key was stored in room:b by this transaction's group (group % 10).
                #expect(result[base + 4] == result[(group % 10) * 5 + 4])
                fresh += [result[base + 1], result[base + 2]]
            }
        }
        let freshIDs = fresh.map(\.id)
        #expect(zip(freshIDs, freshIDs.dropFirst()).allSatisfy { $0 < $1 })
        #expect(freshIDs.allSatisfy { $0 > (originals.last?.id ?? .max) })
        let roomA = try await stored(store, room: "room:a")
        let roomB = try await stored(store, room: "room:b")
        #expect(roomA == originals + fresh.filter { $0.room == "room:a" })
        #expect(roomB == fresh.filter { $0.room == "room:b" })
        #expect(roomB.count == 10)
        await store.close()
    }

    @Test(
        "a failed group commit fails every message of its batch, stores none of them, and the writer goes on",
        arguments: StoreBackend.available)
    func failedBatch(backend: StoreBackend) async throws {
        let store = FaultyStore(base: try await backend.makeStore())
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime, maxBatch: 1000)
        // The first message's commit is held, so the next 50 queue up behind it as one batch.
        async let first = writer.write(NewMessage(room: "room:a", nickname: "ann", body: "first", idempotencyKey: "first"))
        await store.commitsStarted.waitFor(count: 1)
        store.failCommits(true)
        let outcomes = await withTaskGroup(of: Result<ChatMessage, StoreError>.self) { group in
            for sender in 0..<50 {
                group.addTask {
                    do throws(StoreError) {
                        return .success(
                            try await writer.write(
                                NewMessage(room: "room:a", nickname: "s\(sender)", body: "lost \(sender)", idempotencyKey: "s\(sender)")))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            while writer.queuedCount < 50 { await Task.yield() }
            store.firstCommitGate.open()
            var outcomes: [Result<ChatMessage, StoreError>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(try await first.body == "first")
        #expect(outcomes.count == 50)
        for outcome in outcomes {
            switch outcome {
            case .success(let message): Issue.record("acknowledged although its commit failed: \(message)")
            case .failure(let error): #expect(error.code == .unavailable)
            }
        }
        #expect(store.batches.map(\.messages) == [1, 50])
        #expect(store.batches.map(\.failed) == [false, true])
        #expect(try await stored(store, room: "room:a").map(\.body) == ["first"])
        // The writer keeps going; a retry with the same key is stored once.
        store.failCommits(false)
        let retried = try await writer.write(NewMessage(room: "room:a", nickname: "s7", body: "lost 7", idempotencyKey: "s7"))
        #expect(retried.body == "lost 7")
        #expect(try await stored(store, room: "room:a").map(\.body) == ["first", "lost 7"])
        await writer.close()
        await store.close()
    }

    @Test(
        "submitted messages keep the caller's order: increasing ids, and callbacks run one after another in that order, across batches",
        arguments: StoreBackend.available)
    func submitOrder(backend: StoreBackend) async throws {
        let store = FaultyStore(base: try await backend.makeStore())
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime, maxBatch: 1000)
        let outcomes = Recorder<(index: Int, id: Int64?)>()
        func submit(_ index: Int) throws(StoreError) {
            try writer.submit(NewMessage(room: "room:order", nickname: "ann", body: "m\(index)")) { result in
                outcomes.record((index, try? result.get().id))
            }
        }
        // The first commit is held, so the next 199 queue behind it and commit as one batch.
        try submit(0)
        await store.commitsStarted.waitFor(count: 1)
        for index in 1..<200 { try submit(index) }
        #expect(writer.queuedCount == 199)
        store.firstCommitGate.open()
        await outcomes.waitFor(count: 200)
        let recorded = outcomes.values
        #expect(recorded.map(\.index) == Array(0..<200))
        let ids = recorded.compactMap(\.id)
        #expect(ids.count == 200)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(store.batches.map(\.messages) == [1, 199])
        #expect(try await stored(store, room: "room:order").map(\.body) == (0..<200).map { "m\($0)" })
        await writer.close()
        await store.close()
    }

    @Test("submit refuses a bad message at once without calling back, and after close calls back with closed", arguments: StoreBackend.available)
    func submitRefusals(backend: StoreBackend) async throws {
        let store = FaultyStore(base: try await backend.makeStore())
        store.firstCommitGate.open()
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime)
        let calls = Recorder<StoreError.Code?>()
        #expect(throws: StoreError.self) {
            try writer.submit(NewMessage(room: "room:a", nickname: "ann", body: "")) { result in
                calls.record({ if case .failure(let error) = result { return error.code } else { return nil } }())
            }
        }
        await writer.close()
        try writer.submit(NewMessage(room: "room:a", nickname: "ann", body: "too late")) { result in
            calls.record({ if case .failure(let error) = result { return error.code } else { return nil } }())
        }
        #expect(calls.values == [.closed])
        #expect(try await stored(store, room: "room:a").isEmpty)
        await store.close()
    }
}
