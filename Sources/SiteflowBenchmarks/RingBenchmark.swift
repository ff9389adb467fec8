import SiteflowRuntime

/// `ring N M` and `ringmulti N TOKENS HOPS`: N processes in a ring pass integer tokens; a
/// process forwards `k - 1` to its successor, and the one that receives 0 reports.
///
/// `ring` sends one token of N·M hops; `ringmulti` starts TOKENS tokens of HOPS hops each, N/TOKENS
/// processes apart, all at once. Both report hops per second from the first send to the last
/// token's end.
enum RingBenchmark {
    enum Message: Sendable {
        /// Sets the successor (only the last process needs it: the others get theirs at spawn).
        case next(PID<Message>)
        /// A token with this many hops left.
        case token(Int)
    }

    struct Node: Behavior {
        var next: PID<Message>?
        let finished: Countdown

        mutating func handle(_ message: Message, context: ProcessContext<Message>) throws {
            switch message {
            case .next(let successor):
                next = successor
            case .token(let hops):
                if hops == 0 {
                    finished.countDown()
                } else {
                    next?.send(.token(hops - 1))
                }
            }
        }
    }

    /// Spawns the ring back to front, so each process is born knowing its successor; the last
    /// one learns the first by message, which reaches it before any token can.
    static func makeRing(runtime: Runtime, count: Int, finished: Countdown) throws -> [PID<Message>] {
        var reversed: [PID<Message>] = []
        reversed.reserveCapacity(count)
        var successor: PID<Message>?
        for _ in 0..<count {
            let pid = try runtime.spawn(Node(next: successor, finished: finished))
            reversed.append(pid)
            successor = pid
        }
        let ring = Array(reversed.reversed())
        if let first = ring.first, let last = ring.last { last.send(.next(first)) }
        return ring
    }

    static func runRing(runtime: Runtime, count: Int, rounds: Int) throws -> BenchmarkResult {
        let finished = Countdown(1)
        let setupClock = Stopwatch()
        let ring = try makeRing(runtime: runtime, count: count, finished: finished)
        let setupSeconds = setupClock.seconds
        let hops = count * rounds
        let runClock = Stopwatch()
        ring[0].send(.token(hops))
        finished.wait()
        let runSeconds = runClock.seconds
        return BenchmarkResult(
            implementation: "siteflow", benchmark: "ring",
            fields: [
                ("n", Double(count)), ("m", Double(rounds)), ("setup_s", setupSeconds), ("run_s", runSeconds),
                ("hops_per_s", Double(hops) / runSeconds),
            ])
    }

    static func runMulti(runtime: Runtime, count: Int, tokens: Int, hops: Int) throws -> BenchmarkResult {
        let finished = Countdown(tokens)
        let ring = try makeRing(runtime: runtime, count: count, finished: finished)
        let stride = max(1, count / tokens)
        let runClock = Stopwatch()
        for token in 0..<tokens {
            ring[(token * stride) % count].send(.token(hops))
        }
        finished.wait()
        let runSeconds = runClock.seconds
        return BenchmarkResult(
            implementation: "siteflow", benchmark: "ringmulti",
            fields: [
                ("n", Double(count)), ("tokens", Double(tokens)), ("run_s", runSeconds),
                ("hops_per_s", Double(tokens * hops) / runSeconds),
            ])
    }
}
