public import SiteflowRuntime
import Synchronization

/// `isolated ordinary|osProcess MESSAGES`: the cost of one cast and of one call to a server in a
/// worker OS process (``SpawnOptions/isolation`` `.osProcess`) against the same server as an
/// ordinary process.
///
/// Casts: MESSAGES `.add(1)` casts, in windows of 5,000 each followed by a call that returns the
/// total (so the time covers their handling, not only their sending, and no window exceeds the
/// 10,000 messages an isolated server queues for its worker). Calls: MESSAGES calls one after another from
/// one task on the runtime's workers, each awaiting its reply. Reports µs per cast and per call.
/// The isolated server is this executable's `isolated-worker` subcommand (``catalogue``).
public enum IsolationBenchmark {
    /// The name the benchmark's server is registered under in the worker's catalogue.
    public static let serverName = "siteflow.bench.counter"

    /// The catalogue entry the `siteflow` executable adds to its worker subcommand's catalogue.
    public static func register(in catalogue: inout IsolatedBehaviors) {
        catalogue.register(CounterServer.self, as: serverName)
    }

    /// A counter: casts add, calls return `request + total`.
    struct CounterServer: IsolatedServer {
        var total = 0

        mutating func handleCall(_ request: Int, from caller: Caller<Int>, context: ServerContext<CounterServer>) throws -> CallResult<Int> {
            .reply(request + total)
        }

        mutating func handleCast(_ message: Int, context: ServerContext<CounterServer>) throws {
            total += message
        }
    }

    static func run(runtime: Runtime, isolation: ProcessIsolation, messages: Int) throws -> BenchmarkResult {
        let server = try CounterServer.start(CounterServer(), runtime: runtime, options: SpawnOptions(isolation: isolation))
        let finished = Countdown(1)
        let outcome = Mutex<Result<(cast: Double, call: Double), any Error>?>(nil)
        Task(executorPreference: runtime.scheduler) {
            do {
                // Warm up (the worker's start, the first allocations), then measure.
                _ = try await server.call(0, timeout: .seconds(60))
                // In windows of 5,000 with a call after each: an isolated server queues at most
                // 10,000 messages for its worker and drops casts beyond (counted), as a bound must.
                let casting = Stopwatch()
                var total = 0
                var sent = 0
                while sent < messages {
                    let window = min(5_000, messages - sent)
                    for _ in 0..<window { server.cast(1) }
                    sent += window
                    total = try await server.call(0, timeout: .seconds(600))
                }
                let castSeconds = casting.seconds
                guard total == messages else { throw BenchmarkError("the server counted \(total) casts of \(messages)") }
                let calling = Stopwatch()
                var sum = 0
                for request in 0..<messages { sum &+= try await server.call(request, timeout: .seconds(60)) }
                let callSeconds = calling.seconds
                if sum == 0 { throw BenchmarkError("the replies summed to 0") }
                outcome.withLock { $0 = .success((castSeconds, callSeconds)) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            finished.countDown()
        }
        finished.wait()
        guard let result = outcome.withLock({ $0 }) else { throw BenchmarkError("the benchmark task did not finish") }
        let seconds = try result.get()
        return BenchmarkResult(
            implementation: "siteflow", benchmark: "isolated-\(isolation == .none ? "ordinary" : "osProcess")",
            fields: [
                ("messages", Double(messages)),
                ("us_per_cast", seconds.cast / Double(messages) * 1e6),
                ("casts_per_s", Double(messages) / seconds.cast),
                ("us_per_call", seconds.call / Double(messages) * 1e6),
                ("calls_per_s", Double(messages) / seconds.call),
            ])
    }
}
