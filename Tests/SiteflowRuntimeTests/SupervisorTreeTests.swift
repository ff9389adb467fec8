import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Nested supervision trees: escalation and ordered shutdown")
struct SupervisorTreeTests {
    private let boom = ExitReason.error(TestFailure(message: "boom"))

    private func innerSpec(_ harness: ChildHarness, restart: RestartPolicy) -> ChildSpec {
        .supervisor(
            id: "inner", strategy: .oneForOne, children: [harness.spec("x"), harness.spec("y")],
            intensity: RestartIntensity(maxRestarts: 0), clock: ManualClock(), restart: restart)
    }

    @Test("a child supervisor that exceeds its intensity exits with shutdown and a permanent one is restarted")
    func escalationRestartsPermanentChildSupervisor() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("w"), innerSpec(harness, restart: .permanent)], clock: ManualClock())
            try await harness.expect([.started("w"), .started("x"), .started("y")])
            let oldInner = try #require(try await root.whichChildren().last?.process)
            try harness.send("crash", to: "x")
            #expect(await runtime.waitForExit(oldInner) == .shutdown)
            try await harness.expect([
                .terminated("x", boom), .terminated("y", .shutdown),  // inner gives up
                .started("x"), .started("y"),  // root restarts inner, which starts its children
            ])
            try await harness.expectQuiet(after: root)
            let newInner = try #require(try await root.whichChildren().last?.process)
            #expect(newInner != oldInner && newInner.isAlive)
            #expect(try harness.pid("w").isAlive)
            #expect(runtime.statistics.restarts == 1, "one restart: the root restarted inner")
        }
    }

    @Test("a transient child supervisor that gives up (shutdown is orderly) is not restarted")
    func escalationLeavesTransientChildSupervisorDown() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("w"), innerSpec(harness, restart: .transient)], clock: ManualClock())
            try await harness.expect([.started("w"), .started("x"), .started("y")])
            let inner = try #require(try await root.whichChildren().last?.process)
            try harness.send("crash", to: "x")
            try await harness.expect([.terminated("x", boom), .terminated("y", .shutdown)])
            #expect(await runtime.waitForExit(inner) == .shutdown)
            try await harness.expectQuiet(after: root)
            let children = try await root.whichChildren()
            #expect(children.map(\.id) == ["w", "inner"])
            #expect(children.last?.process == nil)
            #expect(root.id.isAlive)
        }
    }

    @Test("escalation climbs: a root that exceeds its own intensity exits with shutdown too")
    func escalationClimbs() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("w"), innerSpec(harness, restart: .permanent)],
                intensity: RestartIntensity(maxRestarts: 0), clock: ManualClock())
            try await harness.expect([.started("w"), .started("x"), .started("y")])
            try harness.send("crash", to: "x")
            #expect(await runtime.waitForExit(root.id) == .shutdown)
            try await harness.expect([.terminated("x", boom), .terminated("y", .shutdown), .terminated("w", .shutdown)])
        }
    }

    @Test("stopping the root terminates the whole tree depth-first in reverse start order")
    func orderedTreeShutdown() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("a"), innerSpec(harness, restart: .permanent), harness.spec("b")])
            try await harness.expect([.started("a"), .started("x"), .started("y"), .started("b")])
            let inner = try #require(try await root.whichChildren()[1].process)
            await root.stop()
            try await harness.expect([
                .terminated("b", .shutdown), .terminated("y", .shutdown), .terminated("x", .shutdown),
                .terminated("a", .shutdown),
            ])
            #expect(await runtime.waitForExit(inner) == .shutdown)
        }
    }

    @Test("a nested dynamic supervisor's children are terminated when the root stops")
    func nestedDynamic() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let root = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: [harness.spec("a"), .dynamicSupervisor(id: "pool")])
            try await harness.expect([.started("a")])
            let pool = try #require(try await root.whichChildren().last?.process.flatMap(DynamicSupervisorRef.init))
            try await pool.startChild(harness.spec("p1"))
            try await pool.startChild(harness.spec("p2"))
            try await harness.expect([.started("p1"), .started("p2")])
            #expect(try await root.countChildren() == ChildCounts(specs: 2, active: 2, supervisors: 1, workers: 1))
            await root.stop()
            var pooled: Set<String> = []
            for _ in 0..<2 {
                guard case .terminated(let id, .shutdown) = try await harness.events.next(within: .seconds(10)) else {
                    Issue.record("expected a pooled child's orderly termination")
                    return
                }
                pooled.insert(id)
            }
            #expect(pooled == ["p1", "p2"])
            try await harness.expect([.terminated("a", .shutdown)])
        }
    }
}
