import Testing
@testable import SiteflowRuntime

@Suite struct SharedTableTests {
    @Test func insertReplacesAndReturnsPreviousValue() throws {
        let table = SharedTable<String, Int>()
        #expect(try table.insert(1, for: "a") == nil)
        #expect(try table.insert(2, for: "a") == 1)
        #expect(try table.lookup("a") == 2)
        #expect(try table.count == 1)
    }

    @Test func insertNewOnlyInsertsAbsentKeys() throws {
        let table = SharedTable<String, Int>()
        #expect(try table.insertNew(1, for: "a"))
        #expect(try !table.insertNew(2, for: "a"))
        #expect(try table.lookup("a") == 1)
    }

    @Test func lookupContainsAndRemove() throws {
        let table = SharedTable<Int, String>(shardCount: 4)
        for i in 0..<100 { try table.insert("v\(i)", for: i) }
        #expect(try table.count == 100)
        #expect(try table.contains(42))
        #expect(try table.remove(42) == "v42")
        #expect(try table.remove(42) == nil)
        #expect(try !table.contains(42))
        #expect(try table.lookup(42) == nil)
        #expect(try table.count == 99)
        let keys = try table.snapshot().map(\.key).sorted()
        #expect(keys == Array(0..<100).filter { $0 != 42 })
    }

    @Test func shardCountIsRoundedUpToPowerOfTwo() {
        #expect(SharedTable<Int, Int>(shardCount: 5).shardCount == 8)
        #expect(SharedTable<Int, Int>(shardCount: 0).shardCount == 1)
        #expect(SharedTable<Int, Int>().shardCount == 16)
    }

    @Test func singleShardTableWorks() throws {
        let table = SharedTable<Int, Int>(shardCount: 1)
        for i in 0..<50 { try table.insert(i * 2, for: i) }
        #expect(try table.lookup(49) == 98)
        #expect(try table.count == 50)
    }

    @Test func updateInsertsDefaultAndReturnsBodyResult() throws {
        let table = SharedTable<String, Int>()
        let first = try table.update("n", default: 10) { value -> Int in
            value += 5
            return value
        }
        #expect(first == 15)
        let second = try table.update("n", default: 0) { value -> Int in
            value += 1
            return value
        }
        #expect(second == 16)
    }

    @Test func mutateCanInsertChangeAndRemove() throws {
        let table = SharedTable<String, Int>()
        try table.mutate("k") { slot in slot = 1 }
        #expect(try table.lookup("k") == 1)
        let seen = try table.mutate("k") { slot -> Int? in
            let old = slot
            slot = nil
            return old
        }
        #expect(seen == 1)
        #expect(try table.contains("k") == false)
        #expect(try table.count == 0)
    }

    @Test func concurrentUpdatesAreAtomic() async throws {
        let table = SharedTable<String, Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for i in 0..<10_000 {
                        try table.update("counter", default: 0) { $0 += 1 }
                        try table.update("k\(i % 64)", default: 0) { $0 += 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try table.lookup("counter") == 80_000)
        let perKey = try table.snapshot().filter { $0.key != "counter" }.map(\.value)
        #expect(perKey.count == 64)
        #expect(perKey.reduce(0, +) == 80_000)
        #expect(try table.count == 65)
    }

    @Test func concurrentInsertNewHasExactlyOneWinnerPerKey() async throws {
        let table = SharedTable<Int, Int>()
        let wins = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var won = 0
                    for key in 0..<1_000 where try table.insertNew(task, for: key) { won += 1 }
                    return won
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(wins == 1_000)
        #expect(try table.count == 1_000)
    }

    @Test func removeAllAndRemoveAllWhere() throws {
        let table = SharedTable<Int, Int>()
        for i in 0..<20 { try table.insert(i, for: i) }
        #expect(try table.removeAll { _, value in value % 2 == 0 } == 10)
        #expect(try table.count == 10)
        #expect(try table.lookup(3) == 3)
        #expect(try table.lookup(4) == nil)
        try table.removeAll()
        #expect(try table.isEmpty)
        #expect(try table.snapshot().isEmpty)
    }

    @Test func memoryEstimateGrowsWithContent() throws {
        let table = SharedTable<Int, Int>()
        let empty = table.memoryEstimate
        for i in 0..<1_000 { try table.insert(i, for: i) }
        #expect(table.memoryEstimate > empty)
        #expect(table.memoryEstimate >= 1_000 * 16)
    }

    @Test func closedTableThrowsClosedEverywhere() throws {
        let table = SharedTable<String, Int>()
        try table.insert(1, for: "a")
        table.close()
        table.close()  // idempotent
        #expect(table.isClosed)
        #expect(throws: TableError.closed) { try table.insert(1, for: "a") }
        #expect(throws: TableError.closed) { try table.insertNew(1, for: "b") }
        #expect(throws: TableError.closed) { try table.lookup("a") }
        #expect(throws: TableError.closed) { try table.contains("a") }
        #expect(throws: TableError.closed) { try table.remove("a") }
        #expect(throws: TableError.closed) { try table.update("a", default: 0) { $0 += 1 } }
        #expect(throws: TableError.closed) { try table.mutate("a") { $0 = 1 } }
        #expect(throws: TableError.closed) { try table.count }
        #expect(throws: TableError.closed) { try table.snapshot() }
        #expect(throws: TableError.closed) { try table.removeAll() }
        #expect(throws: TableError.closed) { try table.removeAll { _, _ in true } }
    }

    @Test func tableErrorIsComparableAndDescribed() {
        #expect(TableError.closed == .closed)
        #expect(TableError.closed != .invalidArgument)
        #expect(TableError.closed.description.contains("closed"))
    }
}
