import SiteflowRuntime
import Testing

@Suite("Heap growth")
struct HeapGrowthTests {
    #if os(Linux)
    @Test("on glibc the large heap step is accepted (the siteflow executable sets it before anything else)")
    func largeSteps() {
        #expect(HeapGrowth.growInLargeSteps())
        #expect(HeapGrowth.growInLargeSteps(bytes: 1 << 20))
        #expect(HeapGrowth.growInLargeSteps(bytes: HeapGrowth.defaultStep))
    }
    #endif
}
