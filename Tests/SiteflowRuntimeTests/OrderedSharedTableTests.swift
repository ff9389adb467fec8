import Testing
@testable import SiteflowRuntime

@Suite struct OrderedSharedTableTests {
    /// A table with keys 0, 10, 20, ..., 90 and value "v<key>".
    private func tens() throws -> OrderedSharedTable<Int, String> {
        let table = OrderedSharedTable<Int, String>()
        for key in [50, 10, 90, 0, 30, 70, 20, 80, 40, 60] { try table.insert("v\(key)", for: key) }
        return table
    }

    @Test func insertReplaceInsertNewLookupRemove() throws {
        let table = OrderedSharedTable<String, Int>()
        #expect(try table.insert(1, for: "b") == nil)
        #expect(try table.insert(2, for: "b") == 1)
        #expect(try table.insertNew(3, for: "a"))
        #expect(try !table.insertNew(4, for: "a"))
        #expect(try table.lookup("a") == 3)
        #expect(try table.contains("b"))
        #expect(try table.remove("b") == 2)
        #expect(try table.remove("b") == nil)
        #expect(try table.count == 1)
    }

    @Test func snapshotIsSorted() throws {
        let table = try tens()
        #expect(try table.snapshot().map(\.key) == Array(stride(from: 0, through: 90, by: 10)))
        #expect(try table.snapshot().first?.value == "v0")
    }

    @Test func firstAndLast() throws {
        let table = try tens()
        #expect(try table.first?.key == 0)
        #expect(try table.last?.key == 90)
        #expect(try table.last?.value == "v90")
        let empty = OrderedSharedTable<Int, Int>()
        #expect(try empty.first == nil)
        #expect(try empty.last == nil)
    }

    @Test func neighboursOfPresentAndAbsentKeys() throws {
        let table = try tens()
        #expect(try table.next(after: 30)?.key == 40)
        #expect(try table.next(after: 35)?.key == 40)
        #expect(try table.next(after: -5)?.key == 0)
        #expect(try table.next(after: 90) == nil)
        #expect(try table.previous(before: 30)?.key == 20)
        #expect(try table.previous(before: 35)?.key == 30)
        #expect(try table.previous(before: 1_000)?.key == 90)
        #expect(try table.previous(before: 0) == nil)
    }

    @Test func halfOpenAndClosedRanges() throws {
        let table = try tens()
        #expect(try table.range(from: 20, to: 50).map(\.key) == [20, 30, 40])
        #expect(try table.range(from: 20, through: 50).map(\.key) == [20, 30, 40, 50])
        #expect(try table.range(from: 15, to: 45).map(\.key) == [20, 30, 40])
        #expect(try table.range(from: 50, to: 50).isEmpty)
        #expect(try table.range(from: 60, to: 10).isEmpty)
        #expect(try table.range(from: 95, through: 200).isEmpty)
        #expect(try table.range(from: -100, to: 15).map(\.key) == [0, 10])
    }

    @Test func prefixReturnsSmallestKeys() throws {
        let table = try tens()
        #expect(try table.prefix(3).map(\.key) == [0, 10, 20])
        #expect(try table.prefix(0).isEmpty)
        #expect(try table.prefix(100).count == 10)
    }

    @Test func updateInPlaceAndWithDefault() throws {
        let table = OrderedSharedTable<String, [Int]>()
        try table.update("xs", default: []) { $0.append(1) }
        try table.update("xs", default: []) { $0.append(2) }
        #expect(try table.lookup("xs") == [1, 2])
    }

    /// Exercises chunk splits and merges: thousands of keys inserted in scrambled order, then half removed.
    @Test func manyKeysStayOrderedAcrossSplitsAndMerges() throws {
        let table = OrderedSharedTable<Int, Int>()
        let n = 5_000
        for i in 0..<n { try table.insert(i, for: (i * 7_919) % n) }
        #expect(try table.count == n)
        #expect(try table.snapshot().map(\.key) == Array(0..<n))
        for key in stride(from: 0, to: n, by: 2) { try table.remove(key) }
        #expect(try table.count == n / 2)
        #expect(try table.snapshot().map(\.key) == Array(stride(from: 1, to: n, by: 2)))
        #expect(try table.next(after: 2_000)?.key == 2_001)
        #expect(try table.previous(before: 2_001)?.key == 1_999)
        #expect(try table.range(from: 1_000, to: 1_010).map(\.key) == [1_001, 1_003, 1_005, 1_007, 1_009])
        for key in stride(from: 1, to: n, by: 2) { try table.remove(key) }
        #expect(try table.isEmpty)
        #expect(try table.first == nil)
    }

    @Test func concurrentUpdatesAreAtomic() async throws {
        let table = OrderedSharedTable<Int, Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for i in 0..<10_000 { try table.update(i % 100, default: 0) { $0 += 1 } }
                }
            }
            try await group.waitForAll()
        }
        let values = try table.snapshot().map(\.value)
        #expect(values.count == 100)
        #expect(values.allSatisfy { $0 == 800 })
    }

    @Test func memoryEstimateGrowsWithContent() throws {
        let table = OrderedSharedTable<Int, Int>()
        let empty = table.memoryEstimate
        for i in 0..<1_000 { try table.insert(i, for: i) }
        #expect(table.memoryEstimate >= empty + 1_000 * 16)
    }

    @Test func closedTableThrowsClosedEverywhere() throws {
        let table = try tens()
        table.close()
        table.close()
        #expect(table.isClosed)
        #expect(throws: TableError.closed) { try table.insert("x", for: 1) }
        #expect(throws: TableError.closed) { try table.insertNew("x", for: 1) }
        #expect(throws: TableError.closed) { try table.lookup(10) }
        #expect(throws: TableError.closed) { try table.contains(10) }
        #expect(throws: TableError.closed) { try table.remove(10) }
        #expect(throws: TableError.closed) { try table.update(10, default: "") { $0 += "!" } }
        #expect(throws: TableError.closed) { try table.first }
        #expect(throws: TableError.closed) { try table.last }
        #expect(throws: TableError.closed) { try table.next(after: 10) }
        #expect(throws: TableError.closed) { try table.previous(before: 10) }
        #expect(throws: TableError.closed) { try table.range(from: 0, to: 50) }
        #expect(throws: TableError.closed) { try table.range(from: 0, through: 50) }
        #expect(throws: TableError.closed) { try table.prefix(2) }
        #expect(throws: TableError.closed) { try table.count }
        #expect(throws: TableError.closed) { try table.snapshot() }
        #expect(throws: TableError.closed) { try table.removeAll() }
    }
}
