import SiteflowRuntime

/// `fanout SUBS ROUNDS`: a publisher process sends one message to each of SUBS subscriber
/// processes, ROUNDS times; each round ends when the last subscriber has counted down (the
/// anchors do the same with an atomic counter), and the next starts only then.
///
/// Reports deliveries per second and the mean and median milliseconds per broadcast, timed from
/// the request to the publisher until the last subscriber is done.
enum FanoutBenchmark {
    struct Subscriber: Behavior {
        let round: Countdown

        mutating func handle(_ message: Int, context: ProcessContext<Int>) throws {
            round.countDown()
        }
    }

    struct Publisher: Behavior {
        let subscribers: [PID<Int>]

        mutating func handle(_ round: Int, context: ProcessContext<Int>) throws {
            for subscriber in subscribers { subscriber.send(round) }
        }
    }

    static func run(runtime: Runtime, subscribers count: Int, rounds: Int) throws -> BenchmarkResult {
        let round = Countdown(count)
        var subscribers: [PID<Int>] = []
        subscribers.reserveCapacity(count)
        for _ in 0..<count {
            subscribers.append(try runtime.spawn(Subscriber(round: round)))
        }
        let publisher = try runtime.spawn(Publisher(subscribers: subscribers))
        var times: [Double] = []
        for number in 0..<rounds {
            round.reset(to: count)
            let clock = Stopwatch()
            publisher.send(number)
            round.wait()
            times.append(clock.seconds)
        }
        let total = times.reduce(0, +)
        let sorted = times.sorted()
        return BenchmarkResult(
            implementation: "siteflow", benchmark: "fanout",
            fields: [
                ("subs", Double(count)), ("rounds", Double(rounds)), ("total_s", total),
                ("deliveries_per_s", Double(count * rounds) / total),
                ("ms_per_broadcast", total / Double(rounds) * 1000),
                ("ms_per_broadcast_median", (sorted.isEmpty ? 0 : sorted[rounds / 2]) * 1000),
            ])
    }
}
