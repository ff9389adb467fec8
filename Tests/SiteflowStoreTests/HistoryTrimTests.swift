import Foundation
import SiteflowStore
import SiteflowRuntimeTesting
import Testing

@Suite("Store history trimming (retention)")
struct HistoryTrimTests {
    /// Every message of `room`, oldest first, read page by page through the history cursor.
    private func allPages(_ store: any Store, room: String, pageSize: Int) async throws -> [ChatMessage] {
        var messages: [ChatMessage] = []
        var cursor: MessageCursor?
        repeat {
            let page = try await store.history(room: room, limit: pageSize, before: cursor)
            messages = page.messages + messages
            cursor = page.olderCursor
        } while cursor != nil
        return messages
    }

    @Test(
        "trimming keeps exactly each room's newest N; history pages still work and kept messages' idempotency keys still answer retries",
        arguments: StoreBackend.available)
    func keepsNewestPerRoom(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        var sent: [String: [ChatMessage]] = [:]
        // Interleaved rooms, so the ids of one room are not contiguous; one room stays under N.
        for index in 0..<30 {
            for room in ["room:a", "room:b"] {
                let message = NewMessage(room: room, nickname: "ann", body: "\(room) \(index)", idempotencyKey: "k\(index)")
                sent[room, default: []].append(try await store.insertMessage(message))
            }
            if index < 3 {
                sent["room:c", default: []].append(try await store.insertMessage(NewMessage(room: "room:c", nickname: "bo", body: "c \(index)")))
            }
        }
        // Batches of 4: the first room needs several statements.
        var trimmed = 0
        for room in ["room:a", "room:b", "room:c"] {
            while true {
                let batch = try await store.trimHistory(room: room, keepNewest: 10, insertedBefore: nil, limit: 4)
                #expect(batch <= 4)
                trimmed += batch
                if batch < 4 { break }
            }
        }
        #expect(trimmed == 40)
        for room in ["room:a", "room:b"] {
            let kept = try await allPages(store, room: room, pageSize: 3)
            #expect(kept == Array(try #require(sent[room]).suffix(10)), "\(room) keeps its newest 10, in order, through pages of 3")
        }
        #expect(try await allPages(store, room: "room:c", pageSize: 50) == sent["room:c"], "a room under the bound is untouched")
        // A kept message's retry is still answered with the original; no duplicate is stored.
        let keptFirst = try #require(sent["room:a"]?[20])
        let retry = try await store.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "room:a 20", idempotencyKey: "k20"))
        #expect(retry == keptFirst)
        #expect(try await store.history(room: "room:a", limit: 100, before: nil).messages.count == 10)
        // A second pass finds nothing more to delete.
        #expect(try await store.trimHistory(room: "room:a", keepNewest: 10, insertedBefore: nil, limit: 100) == 0)
        await store.close()
    }

    @Test("with a maximum age, older messages go too, however few the room holds", arguments: StoreBackend.available)
    func maxAge(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        for index in 0..<3 { _ = try await store.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "old \(index)")) }
        _ = clock.advance(by: .seconds(3600))
        let cutoff = clock.date()
        var fresh: [ChatMessage] = []
        for index in 0..<2 { fresh.append(try await store.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "new \(index)"))) }
        #expect(try await store.trimHistory(room: "room:a", keepNewest: 100, insertedBefore: cutoff, limit: 100) == 3)
        #expect(try await store.history(room: "room:a", limit: 100, before: nil).messages == fresh)
        await store.close()
    }

    @Test("a negative bound or an empty batch is refused with invalidArgument", arguments: StoreBackend.available)
    func invalidArguments(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        _ = try await store.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "hi"))
        let negative = await #expect(throws: StoreError.self) {
            _ = try await store.trimHistory(room: "room:a", keepNewest: -1, insertedBefore: nil, limit: 10)
        }
        #expect(negative?.code == .invalidArgument)
        let empty = await #expect(throws: StoreError.self) {
            _ = try await store.trimHistory(room: "room:a", keepNewest: 1, insertedBefore: nil, limit: 0)
        }
        #expect(empty?.code == .invalidArgument)
        #expect(try await store.history(room: "room:a", limit: 10, before: nil).messages.count == 1)
        await store.close()
    }
}
