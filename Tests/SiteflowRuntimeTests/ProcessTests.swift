import Dispatch
import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Processes: spawn, send, receive")
struct ProcessTests {
    @Test("messages from one sender arrive in the order they were sent")
    func fifoPerSender() async throws {
        try await withRuntime { runtime in
            let probe = try TestProbe<Int>(runtime: runtime)
            let forwarder = try runtime.spawn(Forwarder(target: probe.pid))
            for i in 0..<1000 { forwarder.send(i) }
            for i in 0..<1000 { #expect(try await probe.next() == i) }
        }
    }

    @Test("a process handles more than one budget of messages (it is rescheduled, not lost)")
    func beyondBudget() async throws {
        let configuration = RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2, budget: 3))
        try await withRuntime(configuration) { runtime in
            let probe = try TestProbe<Int>(runtime: runtime)
            let forwarder = try runtime.spawn(Forwarder(target: probe.pid))
            for i in 0..<50 { forwarder.send(i) }
            for i in 0..<50 { #expect(try await probe.next() == i) }
        }
    }

    @Test("send works from many threads at once and nothing is lost")
    func concurrentSenders() async throws {
        try await withRuntime { runtime in
            struct Counter: Behavior {
                var total = 0
                let probe: PID<Int>
                mutating func handle(_ message: Int, context: ProcessContext<Int>) throws {
                    total += message
                    if total == 8 * 10_000 { probe.send(total) }
                }
            }
            let probe = try TestProbe<Int>(runtime: runtime)
            let counter = try runtime.spawn(Counter(probe: probe.pid))
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { for _ in 0..<10_000 { counter.send(1) } }
                }
            }
            #expect(try await probe.next() == 80_000)
        }
    }

    @Test("a send to a dead process is dropped and reported as such")
    func sendToDead() async throws {
        try await withRuntime { runtime in
            let worker = try runtime.spawn(Worker(probe: nil))
            worker.send("stop")
            #expect(await runtime.waitForExit(worker.id) == .normal)
            #expect(!worker.isAlive)
            #expect(worker.deliver("hello") == .deadProcess)
            #expect(!worker.send("again"))
        }
    }

    @Test("a thrown error ends the process with that error as its reason")
    func thrownErrorIsReason() async throws {
        try await withRuntime { runtime in
            let worker = try runtime.spawn(Worker(probe: nil))
            worker.send("crash")
            let reason = await runtime.waitForExit(worker.id)
            #expect(reason == .error(TestFailure(message: "boom")))
            #expect(runtime.statistics.crashed == 1)
        }
    }

    @Test("an idle process holds no thread: a million of them wait without running")
    func manyIdleProcesses() async throws {
        try await withRuntime { runtime in
            var pids: [PID<Int>] = []
            pids.reserveCapacity(100_000)
            for _ in 0..<100_000 { pids.append(try runtime.spawn(Idle())) }
            #expect(runtime.processCount >= 100_000)
            #expect(runtime.messagesHandled == 0)
        }
    }

    @Test("spawning past the process limit throws a typed error and counts it")
    func processLimit() async throws {
        let configuration = RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 1), maxProcesses: 10)
        try await withRuntime(configuration) { runtime in
            for _ in 0..<10 { _ = try runtime.spawn(Idle()) }
            #expect(throws: SpawnError.processLimitReached(10)) { try runtime.spawn(Idle()) }
            #expect(runtime.statistics.spawnsRefused == 1)
        }
    }

    @Test("processes on the blocking pool may block without holding up ordinary processes")
    func blockingPool() async throws {
        try await withRuntime { runtime in
            struct Blocker: Behavior {
                let entered: EventQueue<Int>
                let release: DispatchSemaphore
                func handle(_ message: Int, context: ProcessContext<Int>) throws {
                    entered.push(message)
                    release.wait()  // blocks its OS thread, as blocking I/O would
                }
            }
            let entered = EventQueue<Int>()
            let release = DispatchSemaphore(value: 0)
            // As many blockers as ordinary workers: if they ran there, nothing else could run.
            for i in 0..<2 {
                let blocker = try runtime.spawn(Blocker(entered: entered, release: release), options: SpawnOptions(blocking: true))
                blocker.send(i)
            }
            _ = try await entered.next(within: .seconds(10))
            _ = try await entered.next(within: .seconds(10))
            let probe = try TestProbe<Int>(runtime: runtime)
            let forwarder = try runtime.spawn(Forwarder(target: probe.pid))
            forwarder.send(7)
            #expect(try await probe.next() == 7)
            release.signal()
            release.signal()
        }
    }

    @Test("handlers of an async process never overlap, even across await")
    func asyncNonReentrant() async throws {
        try await withRuntime { runtime in
            struct Slow: AsyncBehavior {
                var inside = false
                let probe: PID<String>
                mutating func handle(_ message: Int, context: ProcessContext<Int>) async throws {
                    if inside { probe.send("overlap") }
                    inside = true
                    try await Task.sleep(for: .milliseconds(1))
                    await Task.yield()
                    inside = false
                    probe.send("done \(message)")
                }
            }
            let probe = try TestProbe<String>(runtime: runtime)
            let slow = try runtime.spawn(Slow(probe: probe.pid))
            for i in 0..<20 { slow.send(i) }
            for i in 0..<20 { #expect(try await probe.next() == "done \(i)") }
        }
    }
}

