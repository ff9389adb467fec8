import Foundation
import Logging
import SiteflowRuntime
public import SiteflowStore
import Synchronization

/// `siteflow bench store`: persisted chat messages per second and acknowledgement latency through
/// the group-commit ``MessageWriter`` at several numbers of concurrent senders, and jobs per
/// second through a queue, on SQLite and on the PostgreSQL server it is given (a scratch
/// database: the runs write to it; `scripts/throwaway-postgres.sh` starts one).
public struct StoreBenchmark: Sendable {
    /// Which messages of a run carry an idempotency key.
    public enum MessageKeys: String, Sendable, CaseIterable {
        /// No key, as the chat page sends them.
        case none
        /// Every message has its own key, `<run>-<sender>-<sequence>` (the sequence not padded,
        /// so a sender's keys do not sort in sending order); each keyed message adds an entry to
        /// the unique (room, nickname, key) index wherever its key sorts.
        case every
        /// Every message has a key that is time-ordered per sender, as the chat page sends them:
        /// the sender's client id (base36 start time + run + sender) and a zero-padded sequence
        /// number, so each sender's new entry lands at the end of its range of the index.
        case sequential
        /// Every message has a random key (a UUID), as a client that makes one per message
        /// would: a new entry lands anywhere in its sender's range of the index.
        case random

        /// Whether the messages carry a key.
        public var keyed: Bool { self != .none }
    }

    /// The databases to measure (`sqlite`, `postgres`).
    public var backends: [String]
    /// The numbers of concurrent senders.
    public var senders: [Int]
    /// How long each message run lasts.
    public var duration: Duration
    /// Jobs pushed through the queue per backend.
    public var jobs: Int
    /// The job queue's concurrency.
    public var jobConcurrency: Int
    /// If set, each sender count is also run open-loop: the senders together offer this many
    /// messages per second on a fixed schedule, and latency runs from each message's scheduled
    /// send time to its ack (so a stall is not hidden by senders waiting).
    public var offeredRate: Int?
    /// The key settings each sender count is run with.
    public var keys: [MessageKeys]
    /// The PostgreSQL database the `postgres` backend writes to; without it, that backend is
    /// skipped with a note.
    public var postgres: PostgresEndpoint?

    /// Creates a benchmark; see each property.
    public init(
        backends: [String] = ["sqlite", "postgres"], senders: [Int] = [1, 100, 1000], duration: Duration = .seconds(3), jobs: Int = 20000,
        jobConcurrency: Int = 200, offeredRate: Int? = nil, keys: [MessageKeys] = [.none, .every], postgres: PostgresEndpoint? = nil
    ) {
        self.postgres = postgres
        self.offeredRate = offeredRate
        self.keys = keys
        self.backends = backends
        self.senders = senders
        self.duration = duration
        self.jobs = jobs
        self.jobConcurrency = jobConcurrency
    }

    /// Runs every measurement and returns the report (a Markdown table).
    public func run() async throws -> String {
        var lines = [
            "| database | senders | idempotency keys | load | persisted msgs/s | ack p50 | ack p99 | ack max |",
            "|---|---:|---|---|---:|---:|---:|---:|",
        ]
        var jobLines = ["| database | jobs | concurrency | jobs/s | enqueue jobs/s |", "|---|---:|---:|---:|---:|"]
        var notes: [String] = []
        for backend in backends {
            var sqliteFolder: URL?
            defer {
                if let sqliteFolder { try? FileManager.default.removeItem(at: sqliteFolder) }
            }
            let withStore: @Sendable ((any Store) async throws -> Void) async throws -> Void
            switch backend {
            case "sqlite":
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-bench-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                sqliteFolder = folder
                let path = folder.appendingPathComponent("bench.db").path
                withStore = { body in
                    let store = try await SQLiteStore(path: path)
                    do { try await body(store) } catch { await store.close(); throw error }
                    await store.close()
                }
            case "postgres":
                guard let endpoint = postgres else {
                    notes.append("PostgreSQL skipped: pass --postgres postgres://user@host:port/db (a scratch database; "
                        + "scripts/throwaway-postgres.sh starts a throwaway server and prints its URL).")
                    continue
                }
                withStore = { body in
                    try await PostgresStore.withStore(endpoint: endpoint, configuration: StoreConfiguration(maxConnections: 20)) { try await body($0) }
                }
            default:
                throw BenchmarkError("unknown database '\(backend)'; expected sqlite or postgres")
            }
            for count in senders {
                for keying in keys {
                    // Closed loop, then (if asked) open loop at the offered rate; each on a fresh store.
                    for rate in offeredRate.map({ [nil, $0] }) ?? [nil] {
                        var measured: MessageResult?
                        try await withStore { store in measured = try await messages(store: store, senders: count, rate: rate, keys: keying) }
                        guard let result = measured else { continue }
                        let load = rate.map { "open loop, \($0)/s offered" } ?? "closed loop"
                        lines.append(
                            "| \(backend) | \(count) | \(keying.rawValue) | \(load) | \(Int(result.rate)) | \(Self.ms(result.p50)) | \(Self.ms(result.p99)) | \(Self.ms(result.max)) |")
                        FileHandle.standardError.write(Data("\(lines.last ?? "")\n".utf8))
                    }
                }
            }
            var measuredJobs: (enqueue: Double, run: Double)?
            try await withStore { store in measuredJobs = try await jobs(store: store) }
            guard let jobResult = measuredJobs else { continue }
            jobLines.append("| \(backend) | \(jobs) | \(jobConcurrency) | \(Int(jobResult.run)) | \(Int(jobResult.enqueue)) |")
            FileHandle.standardError.write(Data("\(jobLines.last ?? "")\n".utf8))
        }
        return (lines + [""] + jobLines + (notes.isEmpty ? [] : [""] + notes)).joined(separator: "\n") + "\n"
    }

    private static func ms(_ nanoseconds: Int64) -> String {
        let value = Double(nanoseconds) / 1e6
        return value < 10 ? String(format: "%.2f ms", value) : String(format: "%.1f ms", value)
    }

    private struct MessageResult {
        var rate: Double
        var p50: Int64
        var p99: Int64
        var max: Int64
    }

    /// Messages through the group-commit writer for ``duration`` (``StoreMessageLoad``): closed
    /// loop (each sender sends its next message when the last is acknowledged), or with a
    /// `rate`, open loop on a fixed schedule with latency from each message's scheduled time.
    private func messages(store: any Store, senders: Int, rate: Int?, keys: MessageKeys) async throws -> MessageResult {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let writer = try await MessageWriter(store: store, runtime: runtime, maxBatch: 2000)
        let outcome = await StoreMessageLoad(writer: writer, senders: senders, duration: duration, keys: keys).run(rate: rate)
        await writer.close()
        guard outcome.failures == 0 else {
            throw BenchmarkError("\(outcome.failures) messages failed to commit (\(senders) senders, \(keys.rawValue) keys)")
        }
        let sorted = outcome.latencies
        func percentile(_ p: Double) -> Int64 {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        return MessageResult(rate: outcome.rate, p50: percentile(0.50), p99: percentile(0.99), max: sorted.last ?? 0)
    }

    /// Enqueues ``jobs`` no-op jobs, then runs the engine until all have completed.
    private func jobs(store: any Store) async throws -> (enqueue: Double, run: Double) {
        var logger = Logger(label: "siteflow.bench")
        logger.logLevel = .warning
        let runtime = Runtime(configuration: RuntimeConfiguration(logger: logger))
        defer { runtime.shutdown() }
        struct Noop: Codable, Sendable { var n: Int }
        let kind = JobKind<Noop>("noop")
        let done = Atomic<Int>(0)
        var workers = JobWorkers()
        workers.register(kind) { _, _ in done.add(1, ordering: .relaxed) }
        let clock = ContinuousClock()
        let enqueueStart = clock.now
        var index = 0
        while index < jobs {
            let end = min(jobs, index + 1000)
            let batch = try (index..<end).map { try kind.job(Noop(n: $0), queue: "bench") }
            try await store.transaction { tx in for job in batch { tx.enqueue(job) } }
            index = end
        }
        let enqueueSeconds = Self.seconds(enqueueStart.duration(to: clock.now))
        let engine = JobEngine(
            store: store, runtime: runtime, workers: workers,
            configuration: JobEngineConfiguration(node: "bench", queues: [JobQueue("bench", concurrency: jobConcurrency)], pruneAfter: nil),
            logger: logger)
        let runStart = clock.now
        while done.load(ordering: .relaxed) < jobs {
            let started = try await engine.tick()
            if started.isEmpty { await engine.waitUntilIdle() }
        }
        await engine.waitUntilIdle()
        let runSeconds = Self.seconds(runStart.duration(to: clock.now))
        await engine.stop()
        return (Double(jobs) / enqueueSeconds, Double(jobs) / runSeconds)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Runs ``run()`` from synchronous code (the command line) and waits for it.
    public func runBlocking() throws -> String {
        let box = Mutex<Result<String, any Error>?>(nil)
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            let result: Result<String, any Error>
            do { result = .success(try await run()) } catch { result = .failure(error) }
            box.withLock { $0 = result }
            semaphore.signal()
        }
        semaphore.wait()
        guard let result = box.withLock({ $0 }) else { throw BenchmarkError("the store benchmark did not finish") }
        return try result.get()
    }
}
