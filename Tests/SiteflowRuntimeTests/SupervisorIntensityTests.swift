import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Restart intensity: too many restarts in a period make the supervisor give up")
struct SupervisorIntensityTests {
    private let boom = ExitReason.error(TestFailure(message: "boom"))

    @Test("exceeding maxRestarts terminates the children in reverse order and exits with shutdown")
    func exceeded() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let clock = ManualClock()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("a"), harness.spec("b"), harness.spec("c")],
                intensity: RestartIntensity(maxRestarts: 2, period: .seconds(5)), clock: clock)
            try await harness.expect([.started("a"), .started("b"), .started("c")])
            for _ in 0..<2 {
                try harness.send("crash", to: "b")
                try await harness.expect([.terminated("b", boom), .started("b")])
            }
            try harness.send("crash", to: "b")
            #expect(await runtime.waitForExit(supervisor.id) == .shutdown)
            try await harness.expect([.terminated("b", boom), .terminated("c", .shutdown), .terminated("a", .shutdown)])
            #expect(runtime.statistics.restarts == 2)
            #expect(try !harness.pid("a").isAlive && !harness.pid("c").isAlive)
        }
    }

    @Test("maxRestarts 0: the first exit needing a restart makes the supervisor give up")
    func zero() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: [harness.spec("a")],
                intensity: RestartIntensity(maxRestarts: 0), clock: ManualClock())
            try await harness.expect([.started("a")])
            try harness.send("crash", to: "a")
            #expect(await runtime.waitForExit(supervisor.id) == .shutdown)
            #expect(runtime.statistics.restarts == 0)
        }
    }

    @Test("restarts spread beyond the period are allowed")
    func spreadOut() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let clock = ManualClock()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: [harness.spec("a")],
                intensity: RestartIntensity(maxRestarts: 1, period: .seconds(5)), clock: clock)
            try await harness.expect([.started("a")])
            for _ in 0..<5 {
                try harness.send("crash", to: "a")
                try await harness.expect([.terminated("a", boom), .started("a")])
                clock.advance(by: .seconds(6))
            }
            #expect(supervisor.id.isAlive)
            #expect(runtime.statistics.restarts == 5)
            // Two crashes within one period exceed maxRestarts 1.
            try harness.send("crash", to: "a")
            try await harness.expect([.terminated("a", boom), .started("a")])
            clock.advance(by: .seconds(4))
            try harness.send("crash", to: "a")
            #expect(await runtime.waitForExit(supervisor.id) == .shutdown)
        }
    }

    @Test("exits that are not restarted do not count towards the intensity")
    func ignoredExitsDoNotCount() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("t1", restart: .temporary), harness.spec("t2", restart: .transient)],
                intensity: RestartIntensity(maxRestarts: 0), clock: ManualClock())
            try await harness.expect([.started("t1"), .started("t2")])
            let (t1, t2) = (try harness.pid("t1"), try harness.pid("t2"))
            try harness.send("crash", to: "t1")
            try harness.send("stop", to: "t2")
            _ = await runtime.waitForExit(t1.id)
            _ = await runtime.waitForExit(t2.id)
            var seen: [String] = []
            for _ in 0..<2 { seen.append(try await harness.events.next(within: .seconds(10)).description) }
            #expect(Set(seen) == ["terminated(t1, \(boom))", "terminated(t2, normal)"])
            try await harness.expectQuiet(after: supervisor)
            #expect(supervisor.id.isAlive)
        }
    }

    @Test("RestartIntensity defaults to 3 restarts in 5 seconds and clamps negative values")
    func defaults() {
        let intensity = RestartIntensity(maxRestarts: 2, period: .seconds(5))
        #expect(intensity.maxRestarts == 2)
        #expect(RestartIntensity(maxRestarts: -1).maxRestarts == 0)
        #expect(RestartIntensity().maxRestarts == 3 && RestartIntensity().period == .seconds(5))
    }
}
