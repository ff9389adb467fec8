import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Dynamic supervisors: children on demand, one for one")
struct SupervisorDynamicTests {
    private let boom = ExitReason.error(TestFailure(message: "boom"))

    @Test("children start on demand and are restarted per their policy")
    func onDemand() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let pool = try await DynamicSupervisor.start(runtime: runtime)
            let p = try await pool.startChild(harness.spec("p"))
            let t = try await pool.startChild(harness.spec("t", restart: .temporary))
            try await harness.expect([.started("p"), .started("t")])
            #expect(try await pool.countChildren() == ChildCounts(specs: 2, active: 2, supervisors: 0, workers: 2))
            #expect(Set(try await pool.whichChildren().compactMap(\.process)) == [p, t])

            try harness.send("crash", to: "p")
            try await harness.expect([.terminated("p", boom), .started("p")])
            try harness.send("crash", to: "t")
            try await harness.expect([.terminated("t", boom)])
            _ = await runtime.waitForExit(t)
            let children = try await pool.whichChildren()
            #expect(children.map(\.id) == ["p"])
            #expect(children.first?.process == (try harness.pid("p").id))
            #expect(runtime.statistics.restarts == 1)
        }
    }

    @Test("maxChildren refuses children past the limit with a typed error")
    func maxChildren() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let pool = try await DynamicSupervisor.start(runtime: runtime, maxChildren: 2)
            let first = try await pool.startChild(harness.spec("a"))
            try await pool.startChild(harness.spec("b"))
            let refused = await #expect(throws: SupervisorError.self) { try await pool.startChild(harness.spec("c")) }
            #expect(refused?.code == .maxChildren)
            try await pool.terminateChild(first)
            try await pool.startChild(harness.spec("c"))
            try await harness.expect([.started("a"), .started("b"), .terminated("a", .shutdown), .started("c")])
            let unknown = await #expect(throws: SupervisorError.self) { try await pool.terminateChild(first) }
            #expect(unknown?.code == .childNotFound)
        }
    }

    @Test("10,000 children are started, counted, terminated one by one and by shutdown")
    func tenThousand() async throws {
        try await withRuntime { runtime in
            let baseline = runtime.processCount
            let pool = try await DynamicSupervisor.start(runtime: runtime)
            let spec = ChildSpec.worker(id: "idle") { Idle() }
            var children: [ProcessID] = []
            children.reserveCapacity(10_000)
            for _ in 0..<10_000 { children.append(try await pool.startChild(spec)) }
            #expect(Set(children).count == 10_000)
            #expect(try await pool.countChildren() == ChildCounts(specs: 10_000, active: 10_000, supervisors: 0, workers: 10_000))
            for child in children.prefix(2_000) { try await pool.terminateChild(child) }
            #expect(try await pool.countChildren().active == 8_000)
            #expect(children.prefix(2_000).allSatisfy { !$0.isAlive })
            #expect(await pool.stop(reason: .shutdown) == .shutdown)
            for child in children { #expect(await runtime.waitForExit(child) == .shutdown) }
            #expect(runtime.processCount == baseline)
            #expect(runtime.statistics.restarts == 0)
        }
    }

    @Test("shutdown terminates children concurrently, killing the ones that ignore it after their timeout")
    func concurrentShutdown() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let pool = try await DynamicSupervisor.start(runtime: runtime)
            try await pool.startChild(harness.spec("polite"))
            let stubborn = try await pool.startChild(harness.spec("stubborn", shutdown: .timeout(.milliseconds(50)), stubborn: true))
            let brutal = try await pool.startChild(harness.spec("brutal", shutdown: .brutalKill))
            try await harness.expect([.started("polite"), .started("stubborn"), .started("brutal")])
            await pool.stop()
            #expect(await runtime.waitForExit(stubborn) == .killed)
            #expect(await runtime.waitForExit(brutal) == .killed)
            try await harness.expect([.terminated("polite", .shutdown)])
            #expect(harness.events.count == 0)
        }
    }

    @Test("exceeding the intensity terminates all children and exits with shutdown")
    func intensity() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let clock = ManualClock()
            let pool = try await DynamicSupervisor.start(
                runtime: runtime, intensity: RestartIntensity(maxRestarts: 1, period: .seconds(5)), clock: clock)
            try await pool.startChild(harness.spec("a"))
            try await pool.startChild(harness.spec("b"))
            try await harness.expect([.started("a"), .started("b")])
            try harness.send("crash", to: "a")
            try await harness.expect([.terminated("a", boom), .started("a")])
            try harness.send("crash", to: "a")
            #expect(await runtime.waitForExit(pool.id) == .shutdown)
            var seen: [ChildEvent] = []
            for _ in 0..<2 { seen.append(try await harness.events.next(within: .seconds(10))) }
            #expect(Set(seen.map(\.description)) == ["terminated(a, \(boom))", "terminated(b, shutdown)"])
        }
    }
}
