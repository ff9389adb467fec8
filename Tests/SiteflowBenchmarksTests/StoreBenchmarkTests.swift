import Testing

@testable import SiteflowBenchmarks

@Suite("bench store")
struct StoreBenchmarkTests {
    @Test("a short SQLite run reports both key settings, and skips open loop where a sender would outpace its own acknowledgements")
    func shortSQLiteRun() async throws {
        let benchmark = StoreBenchmark(
            backends: ["sqlite"], senders: [10, 400], duration: .milliseconds(300), jobs: 50, jobConcurrency: 10, offeredRate: 20_000)
        let report = try await benchmark.run()
        let rows = report.split(separator: "\n").filter { $0.hasPrefix("| sqlite |") }
        // 10 senders: closed loop only (an interval of 0.5 ms); 400 senders: closed and open loop.
        #expect(rows.filter { $0.hasPrefix("| sqlite | 10 |") }.map { $0.contains("closed loop") } == [true, true])
        #expect(rows.filter { $0.hasPrefix("| sqlite | 400 | none | open loop") }.count == 1)
        #expect(rows.filter { $0.hasPrefix("| sqlite | 400 | every | open loop") }.count == 1)
        #expect(report.contains("Open loop at 20000/s skipped for 10 senders"))
        #expect(!report.contains("skipped for 400 senders"))
        // The jobs row: 50 jobs went through.
        #expect(rows.contains { $0.hasPrefix("| sqlite | 50 | 10 |") })
    }

    @Test("open loop needs each sender's interval to leave room for an acknowledgement (20 ms)")
    func openLoopInterval() {
        #expect(StoreBenchmark.sendsOpenLoop(senders: 1000, rate: 20_000))
        #expect(StoreBenchmark.sendsOpenLoop(senders: 400, rate: 20_000))
        #expect(!StoreBenchmark.sendsOpenLoop(senders: 100, rate: 20_000))
        #expect(!StoreBenchmark.sendsOpenLoop(senders: 1, rate: 20_000))
    }
}
