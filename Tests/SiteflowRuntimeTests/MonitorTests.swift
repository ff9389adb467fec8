import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Monitors deliver exactly one down")
struct MonitorTests {
    @Test("a monitor delivers down with the exit reason")
    func downCarriesReason() async throws {
        try await withRuntime { runtime in
            let probe = try TestProbe<String>(runtime: runtime, trapExits: false)
            let worker = try runtime.spawn(Worker(probe: nil))
            let reference = probe.monitor(worker.id)
            worker.send("crash")
            guard case .down(let ref, let process, let reason) = try await probe.nextSignal() else {
                Issue.record("expected down")
                return
            }
            #expect(ref == reference)
            #expect(process == worker.id)
            #expect(reason == .error(TestFailure(message: "boom")))
            #expect(probe.pid.isAlive)  // monitors never kill the watcher
        }
    }

    @Test("monitoring a dead process yields an immediate down with noproc")
    func monitorDead() async throws {
        try await withRuntime { runtime in
            let worker = try runtime.spawn(Worker(probe: nil))
            worker.send("stop")
            _ = await runtime.waitForExit(worker.id)
            let probe = try TestProbe<String>(runtime: runtime)
            probe.monitor(worker.id)
            guard case .down(_, _, let reason) = try await probe.nextSignal() else {
                Issue.record("expected down")
                return
            }
            #expect(reason == .noproc)
        }
    }

    @Test("after demonitor no down is delivered")
    func demonitorSuppressesDown() async throws {
        try await withRuntime { runtime in
            struct Watcher: Behavior {
                enum Message: Sendable { case watch(ProcessID), unwatch, ping }
                var reference: MonitorReference?
                let probe: PID<String>
                mutating func handle(_ message: Message, context: ProcessContext<Message>) throws {
                    switch message {
                    case .watch(let target): reference = context.monitor(target)
                    case .unwatch: if let reference { probe.send("demonitor \(context.demonitor(reference))") }
                    case .ping: probe.send("pong")
                    }
                }
                mutating func handleSignal(_ signal: Signal, context: ProcessContext<Message>) throws {
                    probe.send("down")
                }
            }
            let probe = try TestProbe<String>(runtime: runtime)
            let worker = try runtime.spawn(Worker(probe: nil))
            let watcher = try runtime.spawn(Watcher(probe: probe.pid))
            watcher.send(.watch(worker.id))
            watcher.send(.unwatch)
            #expect(try await probe.next() == "demonitor true")
            worker.send("crash")
            _ = await runtime.waitForExit(worker.id)
            watcher.send(.ping)
            #expect(try await probe.next() == "pong")
            #expect(probe.pendingCount == 0)
        }
    }

    @Test("two monitors on one process each get their own down")
    func twoMonitors() async throws {
        try await withRuntime { runtime in
            let probe = try TestProbe<String>(runtime: runtime)
            let worker = try runtime.spawn(Worker(probe: nil))
            let first = probe.monitor(worker.id)
            let second = probe.monitor(worker.id)
            #expect(first != second)
            worker.send("stop")
            var seen: Set<MonitorReference> = []
            for _ in 0..<2 {
                if case .down(let ref, _, let reason) = try await probe.nextSignal() {
                    seen.insert(ref)
                    #expect(reason == .normal)
                }
            }
            #expect(seen == [first, second])
        }
    }
}
