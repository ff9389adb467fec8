import Testing
@testable import SiteflowRuntime
import SiteflowRuntimeTesting

@Suite struct TTLCacheTests {
    @Test func entriesExpireAfterTheirTTL() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(clock: clock)
        try cache.put(1, for: "a", ttl: .seconds(10))
        try cache.put(2, for: "b", ttl: .seconds(20))
        clock.advance(by: .seconds(9))
        #expect(try cache.get("a") == 1)
        #expect(try cache.remainingTTL("a") == 1_000_000_000)
        clock.advance(by: .seconds(1))  // exactly at expiry: expired
        #expect(try cache.get("a") == nil)
        #expect(try cache.remainingTTL("a") == nil)
        #expect(try cache.count == 1)  // "a" was removed by get
        #expect(try cache.get("b") == 2)
    }

    @Test func putReplacesValueAndResetsTTL() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(clock: clock)
        try cache.put(1, for: "a", ttl: .seconds(5))
        clock.advance(by: .seconds(4))
        try cache.put(2, for: "a", ttl: .seconds(5))
        clock.advance(by: .seconds(4))
        #expect(try cache.get("a") == 2)
        #expect(try cache.count == 1)
    }

    @Test func nonPositiveTTLIsImmediatelyExpired() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(clock: clock)
        try cache.put(1, for: "a", ttl: .zero)
        #expect(try cache.get("a") == nil)
    }

    @Test func purgeExpiredRemovesOnlyExpiredEntries() throws {
        let clock = ManualClock()
        let cache = TTLCache<Int, Int>(clock: clock)
        for i in 0..<10 { try cache.put(i, for: i, ttl: .seconds(Int64(i + 1))) }
        clock.advance(by: .seconds(4))
        #expect(try cache.count == 10)  // count includes expired entries until purged
        #expect(try cache.purgeExpired() == 4)
        #expect(try cache.count == 6)
        #expect(try cache.get(3) == nil)
        #expect(try cache.get(4) == 4)
    }

    @Test func removeReturnsOnlyLiveValues() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(clock: clock)
        try cache.put(1, for: "live", ttl: .seconds(10))
        try cache.put(2, for: "dead", ttl: .seconds(1))
        clock.advance(by: .seconds(2))
        #expect(try cache.remove("live") == 1)
        #expect(try cache.remove("dead") == nil)
        #expect(try cache.count == 0)
    }

    @Test func overflowEvictsExpiredEntriesFirst() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(maxEntries: 2, clock: clock)
        try cache.put(1, for: "short", ttl: .seconds(1))
        try cache.put(2, for: "long", ttl: .seconds(100))
        clock.advance(by: .seconds(2))
        try cache.put(3, for: "new", ttl: .seconds(50))
        #expect(try cache.count == 2)
        #expect(try cache.get("long") == 2)
        #expect(try cache.get("new") == 3)
    }

    @Test func overflowEvictsEntryClosestToExpiry() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(maxEntries: 3, clock: clock)
        try cache.put(1, for: "a", ttl: .seconds(30))
        try cache.put(2, for: "b", ttl: .seconds(10))
        try cache.put(3, for: "c", ttl: .seconds(20))
        try cache.put(4, for: "d", ttl: .seconds(40))
        #expect(try cache.count == 3)
        #expect(try cache.get("b") == nil)  // closest to expiry
        #expect(try cache.get("a") == 1)
        #expect(try cache.get("c") == 3)
        #expect(try cache.get("d") == 4)
    }

    @Test func evictionTiesGoToOldestPut() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(maxEntries: 2, clock: clock)
        try cache.put(1, for: "first", ttl: .seconds(10))
        try cache.put(2, for: "second", ttl: .seconds(10))
        try cache.put(3, for: "third", ttl: .seconds(10))
        #expect(try cache.get("first") == nil)
        #expect(try cache.get("second") == 2)
        #expect(try cache.get("third") == 3)
    }

    @Test func replacingAKeyNeverEvicts() throws {
        let clock = ManualClock()
        let cache = TTLCache<String, Int>(maxEntries: 2, clock: clock)
        try cache.put(1, for: "a", ttl: .seconds(10))
        try cache.put(2, for: "b", ttl: .seconds(20))
        try cache.put(3, for: "a", ttl: .seconds(5))
        #expect(try cache.count == 2)
        #expect(try cache.get("a") == 3)
        #expect(try cache.get("b") == 2)
    }

    @Test func concurrentPutsRespectMaxEntries() async throws {
        let clock = ManualClock()
        let cache = TTLCache<Int, Int>(maxEntries: 100, clock: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<500 { try cache.put(i, for: task * 1_000 + i, ttl: .seconds(60)) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try cache.count <= 100)
    }

    @Test func closedCacheThrows() throws {
        let cache = TTLCache<String, Int>(clock: ManualClock())
        try cache.put(1, for: "a", ttl: .seconds(1))
        cache.close()
        #expect(cache.isClosed)
        #expect(throws: TableError.closed) { try cache.put(1, for: "a", ttl: .seconds(1)) }
        #expect(throws: TableError.closed) { try cache.get("a") }
        #expect(throws: TableError.closed) { try cache.remove("a") }
        #expect(throws: TableError.closed) { try cache.purgeExpired() }
        #expect(throws: TableError.closed) { try cache.count }
    }
}
