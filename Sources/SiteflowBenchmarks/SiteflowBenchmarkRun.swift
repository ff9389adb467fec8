import SiteflowRuntime
import Logging

/// One Siteflow measurement, run by the hidden `siteflow bench runtime-one <benchmark> <numbers…>`
/// in a fresh OS process so that RSS and thread state never leak from one run to the next.
///
/// The benchmark names and arguments are the anchors':
/// `spawn N | ring N M | ringmulti N TOKENS HOPS | fanout SUBS ROUNDS | call CALLS CLIENTS`,
/// plus `call-global` and `call-process` (the same call from other kinds of caller).
public enum SiteflowBenchmarkRun {
    /// The benchmarks this command knows, with their argument names.
    public static let usage = [
        "spawn N", "ring N M", "ringmulti N TOKENS HOPS", "fanout SUBS ROUNDS",
        "call CALLS CLIENTS", "call-global CALLS CLIENTS", "call-process CALLS CLIENTS",
        "isolated ordinary|osProcess MESSAGES",
    ]

    /// Runs the benchmark named by `arguments[0]` on a new runtime and returns its result.
    /// - Throws: ``BenchmarkError`` for an unknown benchmark or bad numbers, or what the run threw.
    public static func run(_ arguments: [String]) throws -> BenchmarkResult {
        if arguments.first == "isolated" { return try runIsolated(Array(arguments.dropFirst())) }
        guard let name = arguments.first else { throw BenchmarkError("no benchmark named; expected one of: \(usage.joined(separator: ", "))") }
        let numbers = try arguments.dropFirst().map { text -> Int in
            guard let value = Int(text.replacingUnderscores()), value > 0 else {
                throw BenchmarkError("\(name): '\(text)' is not a positive integer")
            }
            return value
        }
        func argument(_ index: Int, _ label: String) throws -> Int {
            guard index < numbers.count else { throw BenchmarkError("\(name): missing \(label)") }
            return numbers[index]
        }
        var logger = Logger(label: "siteflow.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        // No `shutdown()`: the OS process exits right after printing the result, and an orderly
        // shutdown (killing every process, freeing a million cells) is not what is measured.
        let runtime = Runtime(configuration: RuntimeConfiguration(logger: logger))
        switch name {
        case "spawn":
            return try SpawnBenchmark.run(runtime: runtime, count: argument(0, "N"))
        case "ring":
            return try RingBenchmark.runRing(runtime: runtime, count: argument(0, "N"), rounds: argument(1, "M"))
        case "ringmulti":
            return try RingBenchmark.runMulti(
                runtime: runtime, count: argument(0, "N"), tokens: argument(1, "TOKENS"), hops: argument(2, "HOPS"))
        case "fanout":
            return try FanoutBenchmark.run(runtime: runtime, subscribers: argument(0, "SUBS"), rounds: argument(1, "ROUNDS"))
        case "call":
            return try CallBenchmark.run(runtime: runtime, calls: argument(0, "CALLS"), clients: argument(1, "CLIENTS"), from: .executorTask)
        case "call-global":
            return try CallBenchmark.run(runtime: runtime, calls: argument(0, "CALLS"), clients: argument(1, "CLIENTS"), from: .globalTask)
        case "call-process":
            return try CallBenchmark.run(runtime: runtime, calls: argument(0, "CALLS"), clients: argument(1, "CLIENTS"), from: .process)
        default:
            throw BenchmarkError("unknown benchmark '\(name)'; expected one of: \(usage.joined(separator: ", "))")
        }
    }
}

extension SiteflowBenchmarkRun {
    /// `isolated ordinary|osProcess MESSAGES` (``IsolationBenchmark``): the worker is this
    /// executable's `isolated-worker` subcommand.
    static func runIsolated(_ arguments: [String]) throws -> BenchmarkResult {
        let usage = "isolated: expected `isolated ordinary|osProcess MESSAGES`"
        guard arguments.count == 2, let messages = Int(arguments[1].replacingUnderscores()), messages > 0 else {
            throw BenchmarkError(usage)
        }
        let isolation: ProcessIsolation
        switch arguments[0] {
        case "ordinary": isolation = .none
        case "osProcess": isolation = .osProcess
        default: throw BenchmarkError(usage)
        }
        var logger = Logger(label: "siteflow.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        var catalogue = IsolatedBehaviors()
        IsolationBenchmark.register(in: &catalogue)
        let runtime = Runtime(configuration: RuntimeConfiguration(logger: logger, isolation: IsolationConfiguration(behaviors: catalogue)))
        return try IsolationBenchmark.run(runtime: runtime, isolation: isolation, messages: messages)
    }
}

extension String {
    /// `1_000_000` → `1000000`, so sizes can be typed as in Swift.
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
