import Testing

@testable import SiteflowBenchmarks

@Suite("Result table")
struct ResultTableTests {
    private func result(_ implementation: String, _ value: Double) -> BenchmarkResult {
        BenchmarkResult(implementation: implementation, benchmark: "ring", fields: [("hops_per_s", value)])
    }

    @Test("median of an odd and an even count, with the spread")
    func medians() throws {
        let odd = try #require(ResultTable.Summary([3, 1, 2]))
        #expect(odd.median == 2)
        #expect(odd.minimum == 1)
        #expect(odd.maximum == 3)
        #expect(odd.runs == 3)
        let even = try #require(ResultTable.Summary([4, 1, 3, 2]))
        #expect(even.median == 2.5)
        #expect(ResultTable.Summary([]) == nil)
    }

    @Test("ratios are Siteflow's median over the anchor's; missing or zero bases give none")
    func ratios() throws {
        var table = ResultTable()
        for value in [10.0, 30, 20] { table.record(result("siteflow", value), benchmark: "ring", implementation: "siteflow") }
        for value in [4.0, 5, 6] { table.record(result("erlang", value), benchmark: "ring", implementation: ResultTable.erlang) }
        let siteflow = table.summary(benchmark: "ring", implementation: "siteflow", metric: "hops_per_s")
        let erlang = table.summary(benchmark: "ring", implementation: ResultTable.erlang, metric: "hops_per_s")
        let go = table.summary(benchmark: "ring", implementation: ResultTable.go, metric: "hops_per_s")
        #expect(ResultTable.ratio(siteflow, to: erlang) == 4)
        #expect(ResultTable.ratio(siteflow, to: go) == nil)
        #expect(ResultTable.ratio(siteflow, to: ResultTable.Summary([0])) == nil)
    }

    @Test("the Markdown table has a row per variant and metric, with failures shown")
    func markdown() throws {
        let benchmark = RuntimeBenchmark(
            name: "ring", anchorArguments: ["ring", "10", "1"],
            variants: [.init(label: "siteflow", arguments: ["ring", "10", "1"])],
            metrics: [BenchmarkMetric(key: "hops_per_s", title: "hops/s", higherIsBetter: true)])
        var table = ResultTable()
        table.record(result("siteflow", 20_000_000), benchmark: "ring", implementation: "siteflow")
        table.record(result("siteflow", 24_000_000), benchmark: "ring", implementation: "siteflow")
        table.record(result("erlang", 2_000_000), benchmark: "ring", implementation: ResultTable.erlang)
        table.recordFailure(benchmark: "ring", implementation: ResultTable.go)
        let lines = table.markdown(for: [benchmark]).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[2] == "| ring | hops/s | higher | 22.00M (20.00M..24.00M) | 2.00M | failed ×1 | 11.0 | – |")
    }

    @Test("numbers are formatted like the anchors' summaries", arguments: [
        (24_880_000.0, "24.88M"), (624_000, "624k"), (2736, "2736"), (136, "136"), (56, "56.0"),
        (0.151, "0.151"), (8.06, "8.06"), (0.0124, "0.0124"),
    ])
    func format(value: Double, expected: String) {
        #expect(ResultTable.format(value) == expected)
    }

    @Test("ratios keep three significant digits", arguments: [(14.43, "14.4"), (0.01236, "0.0124"), (1, "1.00"), (250, "250")])
    func formatRatio(value: Double, expected: String) {
        #expect(ResultTable.formatRatio(value) == expected)
    }

    @Test("the quick catalogue divides the work by ten")
    func quickCatalogue() {
        let quick = RuntimeBenchmark.all(scale: 10)
        #expect(quick.map(\.name) == ["spawn", "ring", "ringmulti", "fanout", "call", "isolated"])
        #expect(quick[5].anchorArguments.isEmpty, "isolated is Siteflow's alone")
        #expect(quick[5].variants.map(\.arguments) == [["isolated", "ordinary", "10000"], ["isolated", "osProcess", "10000"]])
        #expect(quick[0].anchorArguments == ["spawn", "100000"])
        #expect(quick[1].anchorArguments == ["ring", "10000", "100"])
        #expect(RuntimeBenchmark.all(spawnCount: 10_000_000)[0].variants[0].arguments == ["spawn", "10000000"])
    }
}
