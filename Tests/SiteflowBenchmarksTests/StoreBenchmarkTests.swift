import Foundation
import SiteflowRuntime
import SiteflowStore
import Testing

@testable import SiteflowBenchmarks

/// The store benchmark's specifications: what a run must deliver (every row of its table, every
/// offered message acknowledged and stored once). How fast it runs is the benchmark's business,
/// recorded in BENCHMARKS.md, never asserted here: a rate threshold failed on an idle machine.
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
        #expect(rows.contains { $0.hasPrefix("| sqlite | 50 | 10 |") })
    }

    @Test("open loop: every offered message is acknowledged, without failure, and stored exactly once", arguments: [
        StoreBenchmark.MessageKeys.none, .every, .sequential, .random,
    ])
    func openLoopDeliversEveryOfferedMessage(keys: StoreBenchmark.MessageKeys) async throws {
        try await withSQLiteStore { store in
            let runtime = Runtime()
            defer { runtime.shutdown() }
            let writer = try await MessageWriter(store: store, runtime: runtime, maxBatch: 2000)
            // 5,000/s for 0.3 s: 1,500 messages offered on the schedule.
            let outcome = await StoreMessageLoad(writer: writer, senders: 10, duration: .milliseconds(300), keys: keys).run(rate: 5_000)
            await writer.close()
            #expect(outcome.failures == 0)
            #expect(outcome.latencies.count == 1_500)
            let stored = try await Self.storedMessages(in: store, senders: 10)
            #expect(stored == 1_500)
        }
    }

    @Test("closed loop: every acknowledged message is stored, and none failed")
    func closedLoopStoresEveryAcknowledgedMessage() async throws {
        try await withSQLiteStore { store in
            let runtime = Runtime()
            defer { runtime.shutdown() }
            let writer = try await MessageWriter(store: store, runtime: runtime, maxBatch: 2000)
            let outcome = await StoreMessageLoad(writer: writer, senders: 20, duration: .milliseconds(200), keys: .every).run(rate: nil)
            await writer.close()
            #expect(outcome.failures == 0)
            #expect(!outcome.latencies.isEmpty)
            let stored = try await Self.storedMessages(in: store, senders: 20)
            #expect(stored == outcome.latencies.count)
        }
    }

    /// Every message of the rooms the load writes to (sender *n* writes to `room:<n mod 50>`),
    /// counted page by page.
    private static func storedMessages(in store: any Store, senders: Int) async throws -> Int {
        var total = 0
        for room in (0..<min(senders, 50)).map({ "room:\($0)" }) {
            var cursor: MessageCursor?
            repeat {
                let page = try await store.history(room: room, limit: 1_000, before: cursor)
                total += page.messages.count
                cursor = page.olderCursor
            } while cursor != nil
        }
        return total
    }

    private func withSQLiteStore(_ body: (any Store) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-bench-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await SQLiteStore(path: folder.appendingPathComponent("bench.db").path)
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
