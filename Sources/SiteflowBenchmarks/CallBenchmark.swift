import SiteflowRuntime
import Synchronization

/// `call CALLS CLIENTS` and its variants: CLIENTS callers make CALLS/CLIENTS GenServer calls each,
/// one after another, to one server that replies `request + 1` (the anchors' `bench_srv.erl`).
///
/// The variants differ only in who calls:
/// - `call`: Swift tasks started with `Task(executorPreference: runtime.scheduler)`, so they run
///   on the runtime's own workers;
/// - `call-global`: plain `Task {}` on Swift's global concurrent executor (its own thread pool,
///   which competes with the runtime's workers for the cores);
/// - `call-process`: ``AsyncBehavior`` processes whose handler loops awaiting `server.call`.
///
/// Reports calls per second over all callers and microseconds per call for one caller (the
/// anchors' `us_per_call`).
enum CallBenchmark {
    /// Who makes the calls.
    enum Callers: String, Sendable {
        case executorTask = "call"
        case globalTask = "call-global"
        case process = "call-process"
    }

    /// The server: replies `request + 1` and counts its calls, like `bench_srv.erl`.
    struct EchoServer: GenServer {
        var handled = 0

        mutating func handleCall(_ request: Int, from caller: Caller<Int>, context: ServerContext<EchoServer>) throws -> CallResult<Int> {
            handled += 1
            return .reply(request + 1)
        }
    }

    /// The first error any caller met (a failed call ends the run as a failure, not a hang).
    final class FirstFailure: Sendable {
        private let message = Mutex<String?>(nil)

        func record(_ error: any Error) {
            message.withLock { if $0 == nil { $0 = String(describing: error) } }
        }

        var description: String? { message.withLock { $0 } }
    }

    /// A calling process: on `.start` it makes its calls in one handler, awaiting each reply.
    struct CallingProcess: AsyncBehavior {
        enum Message: Sendable { case start }

        let server: ServerRef<EchoServer>
        let calls: Int
        let finished: Countdown
        let failure: FirstFailure

        mutating func handle(_ message: Message, context: ProcessContext<Message>) async throws {
            do {
                try await CallBenchmark.makeCalls(server, count: calls)
            } catch {
                failure.record(error)
            }
            finished.countDown()
        }
    }

    /// Makes `count` calls one after another; the sum keeps the replies from being optimised away.
    static func makeCalls(_ server: ServerRef<EchoServer>, count: Int) async throws {
        var sum = 0
        for request in 0..<count {
            sum &+= try await server.call(request, timeout: .seconds(5))
        }
        if sum == 0 && count > 0 { throw BenchmarkError("the server's replies summed to 0") }
    }

    static func run(runtime: Runtime, calls: Int, clients: Int, from callers: Callers) throws -> BenchmarkResult {
        let server = try EchoServer.start(EchoServer(), runtime: runtime)
        let perClient = calls / clients
        let finished = Countdown(clients)
        let failure = FirstFailure()
        let clock = Stopwatch()
        switch callers {
        case .executorTask:
            for _ in 0..<clients {
                Task(executorPreference: runtime.scheduler) {
                    do { try await makeCalls(server, count: perClient) } catch { failure.record(error) }
                    finished.countDown()
                }
            }
        case .globalTask:
            for _ in 0..<clients {
                Task {
                    do { try await makeCalls(server, count: perClient) } catch { failure.record(error) }
                    finished.countDown()
                }
            }
        case .process:
            for _ in 0..<clients {
                let client = try runtime.spawn(
                    CallingProcess(server: server, calls: perClient, finished: finished, failure: failure))
                client.send(.start)
            }
        }
        finished.wait()
        let seconds = clock.seconds
        if let message = failure.description { throw BenchmarkError("\(callers.rawValue): a call failed: \(message)") }
        return BenchmarkResult(
            implementation: "siteflow", benchmark: callers.rawValue,
            fields: [
                ("calls", Double(perClient * clients)), ("clients", Double(clients)), ("run_s", seconds),
                ("calls_per_s", Double(perClient * clients) / seconds),
                ("us_per_call", seconds / Double(perClient) * 1e6),
            ])
    }
}
