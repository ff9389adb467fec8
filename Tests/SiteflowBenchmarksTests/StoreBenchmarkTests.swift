import Foundation
import Testing

@testable import SiteflowBenchmarks

@Suite("bench store")
struct StoreBenchmarkTests {
    @Test("a short SQLite run reports closed and open loop for each sender count and key setting, and the jobs")
    func shortSQLiteRun() async throws {
        let benchmark = StoreBenchmark(
            backends: ["sqlite"], senders: [10, 400], duration: .milliseconds(300), jobs: 50, jobConcurrency: 10, offeredRate: 5_000)
        let report = try await benchmark.run()
        let rows = report.split(separator: "\n").filter { $0.hasPrefix("| sqlite |") }
        for senders in [10, 400] {
            for keys in ["none", "every"] {
                let prefix = "| sqlite | \(senders) | \(keys) | "
                #expect(rows.filter { $0.hasPrefix(prefix + "closed loop") }.count == 1, "\(prefix)")
                #expect(rows.filter { $0.hasPrefix(prefix + "open loop, 5000/s offered") }.count == 1, "\(prefix)")
            }
        }
        // Open loop offers 5,000 msgs/s for 0.3 s: every one of the 1,500 is acknowledged.
        for row in rows where row.contains("open loop") {
            let rate = try #require(Double(row.split(separator: "|")[4].trimmingCharacters(in: .whitespaces)))
            #expect(rate > 2_500 && rate < 10_000, "\(row)")
        }
        #expect(rows.contains { $0.hasPrefix("| sqlite | 50 | 10 |") })
    }
}
