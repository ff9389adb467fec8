import Foundation
import SiteflowRuntime
import SiteflowStore
import SiteflowStoreTesting
import Testing
import SiteflowRuntimeTesting

/// A client that was away resumes from the last message id it saw: the store reads the messages
/// after it, oldest first, a bounded page at a time (issue 12, item 2).
@Suite("Store: resume after a message id")
struct ResumeHistoryTests {
    @Test("the messages after an id come oldest first, a page at a time, with a cursor while there are more", arguments: StoreBackend.available)
    func pagesForward(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        var lobby: [ChatMessage] = []
        for index in 1...25 {
            lobby.append(try await store.insertMessage(NewMessage(room: "room:lobby", nickname: "ann", body: "m\(index)")))
            _ = try await store.insertMessage(NewMessage(room: "room:other", nickname: "bob", body: "x\(index)"))
        }
        // Seen up to m5: the next 10, then the next 10, then the last 5 and no cursor.
        let first = try await store.history(room: "room:lobby", limit: 10, after: lobby[4].id)
        #expect(first.messages.map(\.body) == (6...15).map { "m\($0)" })
        #expect(first.olderCursor == nil)
        let next = try #require(first.newerCursor)
        #expect(next == MessageCursor(afterID: lobby[14].id))
        #expect(MessageCursor(token: next.token) == next)
        let second = try await store.history(room: "room:lobby", limit: 10, from: next)
        #expect(second.messages.map(\.body) == (16...25).map { "m\($0)" })
        // Exactly a full page left: the store looked one further, so it knows there is no more.
        #expect(second.newerCursor == nil)
        // Seen nothing yet (id 0): from the room's first message.
        let fromStart = try await store.history(room: "room:lobby", limit: 100, after: 0)
        #expect(fromStart.messages == lobby)
        #expect(fromStart.newerCursor == nil)
        // Up to date: nothing, no cursor.
        let upToDate = try await store.history(room: "room:lobby", limit: 10, after: lobby[24].id)
        #expect(upToDate == HistoryPage(messages: [], olderCursor: nil, newerCursor: nil))
        // An id from another room (or one since trimmed) is just a position.
        let other = try await store.history(room: "room:other", limit: 100, after: lobby[19].id)
        #expect(other.messages.allSatisfy { $0.room == "room:other" && $0.id > lobby[19].id })
        #expect(other.messages.map(\.body) == (20...25).map { "x\($0)" }, "x20 was stored after m20")
        // The older direction is unchanged by the newer one.
        let latest = try await store.history(room: "room:lobby", limit: 10, before: nil)
        #expect(latest.messages.map(\.body) == (16...25).map { "m\($0)" })
        #expect(latest.newerCursor == nil)
        await store.close()
    }

    @Test("a resume read refuses a page size outside 1…1000, and cursor tokens name their direction", arguments: StoreBackend.available)
    func badArguments(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        for limit in [0, -1, 1001] {
            let error = await #expect(throws: StoreError.self) { try await store.history(room: "r", limit: limit, after: 0) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(MessageCursor(token: "n0") == MessageCursor(afterID: 0))
        #expect(MessageCursor(token: "m7") == MessageCursor(beforeID: 7))
        #expect(MessageCursor(token: "n-1") == nil)
        #expect(MessageCursor(token: "m0") == nil)
        #expect(MessageCursor(token: "x5") == nil)
        #expect(MessageCursor(token: "") == nil)
        await store.close()
    }

    @Test(
        "a message retried with its time-ordered key after a lost acknowledgement is stored once and acknowledged with the first id",
        arguments: StoreBackend.available)
    func retriedSequentialKey(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime)
        // A page's keys: its client id, then a zero-padded sequence number, so they sort in sending order.
        let keys = (1...5).map { "lq2x8k3c-4f9a2b-" + String(repeating: "0", count: 6 - String($0).count) + String($0) }
        #expect(keys == keys.sorted())
        var first: [ChatMessage] = []
        for (index, key) in keys.enumerated() {
            first.append(try await writer.write(NewMessage(room: "room:a", nickname: "ann", body: "m\(index)", idempotencyKey: key)))
        }
        // Another sender meanwhile.
        _ = try await writer.write(NewMessage(room: "room:a", nickname: "bob", body: "between"))
        // The acknowledgements of the last three were lost: the page sends them again, with the same keys.
        var retried: [ChatMessage] = []
        for index in 2..<5 {
            retried.append(try await writer.write(NewMessage(room: "room:a", nickname: "ann", body: "m\(index)", idempotencyKey: keys[index])))
        }
        #expect(retried == Array(first[2...]))
        let stored = try await store.history(room: "room:a", limit: 100, after: 0).messages
        #expect(stored.map(\.body) == ["m0", "m1", "m2", "m3", "m4", "between"])
        await writer.close()
        await store.close()
    }
}
