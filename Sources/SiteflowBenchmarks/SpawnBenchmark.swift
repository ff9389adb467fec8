import SiteflowRuntime

/// `spawn N`: spawns N idle processes (plain ``Behavior``s), then sends each one message, on
/// which it stops, and waits until all have stopped.
///
/// Reports the time to spawn, the RSS once all are spawned (MiB), the growth of RSS and of the
/// malloc heap per process (the PID array's capacity is reserved before the baseline, so its 8 B
/// per process count, as the anchors' pid lists do), and the time to send one message to each
/// process and see them all exit. The sends come from a driver process, as in Erlang, where the spawner is a process.
///
/// Unlike Erlang and Go, a Siteflow process runs no code until its first message, so "spawned"
/// means "ready to receive" at once.
enum SpawnBenchmark {
    enum Poke: Sendable { case stop }

    /// An idle process: it stops on its first message; the countdown sees it go.
    struct IdleProcess: Behavior {
        let exited: Countdown

        mutating func handle(_ message: Poke, context: ProcessContext<Poke>) throws {
            context.stop()
        }

        mutating func terminate(reason: ExitReason, context: ProcessContext<Poke>) {
            exited.countDown()
        }
    }

    /// Sends one message to every target, in batches of ``batch`` per handler call, each batch
    /// asking for the next by a message to itself. The runtime's budget counts messages (100 per
    /// run), so one run sends up to 100 batches: batches of 100 keep a run to about a millisecond,
    /// far below the watchdog's 100 ms long-handler threshold.
    struct Driver: Behavior {
        static let batch = 100
        let targets: [PID<Poke>]

        mutating func handle(_ start: Int, context: ProcessContext<Int>) throws {
            let end = min(start + Self.batch, targets.count)
            for index in start..<end { targets[index].send(.stop) }
            if end < targets.count { context.pid.send(end) }
        }
    }

    static func run(runtime: Runtime, count: Int) throws -> BenchmarkResult {
        let exited = Countdown(count)
        var pids: [PID<Poke>] = []
        pids.reserveCapacity(count)
        let rss0 = OwnProcess.residentBytes()
        let heap0 = OwnProcess.heapBytes()
        let spawnClock = Stopwatch()
        for _ in 0..<count {
            pids.append(try runtime.spawn(IdleProcess(exited: exited)))
        }
        let spawnSeconds = spawnClock.seconds
        let rss1 = OwnProcess.residentBytes()
        let heap1 = OwnProcess.heapBytes()

        let sendClock = Stopwatch()
        let driver = try runtime.spawn(Driver(targets: pids))
        driver.send(0)
        exited.wait()
        let sendExitSeconds = sendClock.seconds
        return BenchmarkResult(
            implementation: "siteflow", benchmark: "spawn",
            fields: [
                ("n", Double(count)), ("spawn_s", spawnSeconds),
                ("rss_per_proc", Double(rss1 - rss0) / Double(count)),
                ("heap_per_proc", Double(heap1 - heap0) / Double(count)),
                ("send_exit_s", sendExitSeconds),
                ("rss_after_spawn_mib", (Double(rss1) / 1_048_576).rounded()),
            ])
    }
}
