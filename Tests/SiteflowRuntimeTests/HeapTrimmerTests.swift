#if canImport(Glibc)
import Glibc
#endif
import SiteflowRuntime
import Testing

@Suite("Heap trimmer: resident memory falls back after a burst")
struct HeapTrimmerTests {
    private let mebibyte = 1 << 20

    @Test("the policy trims when more is free than it keeps (a floor and a share of the live heap), and not again until the heap has grown")
    func policy() {
        let policy = HeapTrimmer.Policy(keepFreeBytes: 32 * mebibyte, retrimGrowthBytes: 8 * mebibyte, keepFreeToLiveRatio: 1)
        let small = HeapTrimmer.HeapReading(free: 20 * mebibyte, live: 10 * mebibyte, resident: 60 * mebibyte)
        #expect(!policy.trims(small, after: nil), "below the floor")
        let busy = HeapTrimmer.HeapReading(free: 100 * mebibyte, live: 400 * mebibyte, resident: 600 * mebibyte)
        #expect(!policy.trims(busy, after: nil), "less free than live")
        let burst = HeapTrimmer.HeapReading(free: 500 * mebibyte, live: 40 * mebibyte, resident: 600 * mebibyte)
        #expect(policy.trims(burst, after: nil))
        // Right after a trim malloc still counts the released pages as free: no second trim…
        let trimmed = HeapTrimmer.HeapReading(free: 490 * mebibyte, live: 40 * mebibyte, resident: 90 * mebibyte)
        #expect(!policy.trims(trimmed, after: trimmed))
        #expect(!policy.trims(HeapTrimmer.HeapReading(free: 490 * mebibyte, live: 40 * mebibyte, resident: 96 * mebibyte), after: trimmed), "grown by less than 8 MiB")
        // …until the node is bigger again (pages reused and freed) or more is free.
        #expect(policy.trims(HeapTrimmer.HeapReading(free: 490 * mebibyte, live: 40 * mebibyte, resident: 300 * mebibyte), after: trimmed))
        #expect(policy.trims(HeapTrimmer.HeapReading(free: 600 * mebibyte, live: 40 * mebibyte, resident: 90 * mebibyte), after: trimmed))
    }

    #if os(Linux)
    @Test("after a burst of 160 MiB allocated, touched and freed, a check gives resident memory back, once")
    func trimsAfterABurst() throws {
        let trimmer = HeapTrimmer(policy: HeapTrimmer.Policy(keepFreeBytes: 32 * mebibyte))
        // Small blocks (below the mmap threshold) stay in the arenas when freed.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<(160 * mebibyte / 4096) {
            guard let block = malloc(4000) else { break }
            memset(block, 0x5a, 4000)
            blocks.append(block)
        }
        // Keep every 64th block so the freed memory is not one chunk at the top of a heap.
        for (index, block) in blocks.enumerated() where index % 64 != 0 { free(block) }
        let trim = try #require(trimmer.check(), "more than 32 MiB is free and more than is live")
        #expect(trim.released > 32 * mebibyte, "resident memory fell by \(trim.released / mebibyte) MiB")
        #expect(trimmer.trims == 1)
        #expect(trimmer.releasedBytes == trim.released)
        #expect(trimmer.check() == nil, "nothing changed since: no second trim")
        for (index, block) in blocks.enumerated() where index % 64 == 0 { free(block) }
    }
    #endif
}
