import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Supervisor strategies restart exactly the right children, in the right order")
struct SupervisorStrategyTests {
    private let boom = ExitReason.error(TestFailure(message: "boom"))

    private func startABC(
        _ strategy: SupervisorStrategy, runtime: Runtime, harness: ChildHarness
    ) async throws -> SupervisorRef {
        let supervisor = try await Supervisor.start(
            runtime: runtime, strategy: strategy,
            children: [harness.spec("a"), harness.spec("b"), harness.spec("c")])
        try await harness.expect([.started("a"), .started("b"), .started("c")])
        return supervisor
    }

    @Test("children start in the order given and are reported in that order")
    func startOrder() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await startABC(.oneForOne, runtime: runtime, harness: harness)
            let children = try await supervisor.whichChildren()
            #expect(children.map(\.id) == ["a", "b", "c"])
            #expect(try children.map(\.process) == [harness.pid("a").id, harness.pid("b").id, harness.pid("c").id])
        }
    }

    @Test("oneForOne restarts only the child that crashed")
    func oneForOne() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await startABC(.oneForOne, runtime: runtime, harness: harness)
            let (a, c) = (try harness.pid("a"), try harness.pid("c"))
            try harness.send("crash", to: "b")
            try await harness.expect([.terminated("b", boom), .started("b")])
            try await harness.expectQuiet(after: supervisor)
            #expect(try harness.pid("a") == a && a.isAlive)
            #expect(try harness.pid("c") == c && c.isAlive)
            #expect(runtime.statistics.restarts == 1)
        }
    }

    @Test("oneForAll terminates the others in reverse start order, then restarts all in start order")
    func oneForAll() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await startABC(.oneForAll, runtime: runtime, harness: harness)
            try harness.send("crash", to: "b")
            try await harness.expect([
                .terminated("b", boom),
                .terminated("c", .shutdown), .terminated("a", .shutdown),
                .started("a"), .started("b"), .started("c"),
            ])
            try await harness.expectQuiet(after: supervisor)
            #expect(try await supervisor.countChildren().active == 3)
        }
    }

    @Test("restForOne terminates the children started after it, then restarts it and them in order")
    func restForOne() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await startABC(.restForOne, runtime: runtime, harness: harness)
            let a = try harness.pid("a")
            try harness.send("crash", to: "b")
            try await harness.expect([
                .terminated("b", boom), .terminated("c", .shutdown), .started("b"), .started("c"),
            ])
            try await harness.expectQuiet(after: supervisor)
            #expect(try harness.pid("a") == a && a.isAlive)
        }
    }

    @Test("restForOne on the last child restarts only that child")
    func restForOneLast() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await startABC(.restForOne, runtime: runtime, harness: harness)
            try harness.send("crash", to: "c")
            try await harness.expect([.terminated("c", boom), .started("c")])
            try await harness.expectQuiet(after: supervisor)
        }
    }

    @Test("oneForAll drops temporary siblings instead of restarting them")
    func oneForAllDropsTemporary() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForAll,
                children: [harness.spec("a"), harness.spec("t", restart: .temporary), harness.spec("c")])
            try await harness.expect([.started("a"), .started("t"), .started("c")])
            try harness.send("crash", to: "a")
            try await harness.expect([
                .terminated("a", boom), .terminated("c", .shutdown), .terminated("t", .shutdown),
                .started("a"), .started("c"),
            ])
            try await harness.expectQuiet(after: supervisor)
            #expect(try await supervisor.whichChildren().map(\.id) == ["a", "c"])
        }
    }

    @Test("an orderly stop terminates children in reverse start order, then the supervisor exits")
    func orderlyStop() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await startABC(.oneForOne, runtime: runtime, harness: harness)
            let reason = await supervisor.stop()
            #expect(reason == .normal)
            try await harness.expect([
                .terminated("c", .shutdown), .terminated("b", .shutdown), .terminated("a", .shutdown),
            ])
            #expect(try !harness.pid("a").isAlive && !harness.pid("b").isAlive && !harness.pid("c").isAlive)
        }
    }

    @Test("a shutdown exit signal from the supervisor's parent stops it in order")
    func parentShutdown() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let parent = try runtime.spawn(ExitSender())
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: [harness.spec("a"), harness.spec("b")],
                options: SpawnOptions(parent: parent.id))
            try await harness.expect([.started("a"), .started("b")])
            parent.send(.init(target: supervisor.id, reason: .shutdown))
            #expect(await runtime.waitForExit(supervisor.id) == .shutdown)
            try await harness.expect([.terminated("b", .shutdown), .terminated("a", .shutdown)])
        }
    }

    @Test("exit signals from linked processes that are not children are ignored")
    func nonChildExitIgnored() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(runtime: runtime, strategy: .oneForOne, children: [harness.spec("a")])
            try await harness.expect([.started("a")])
            let stranger = try runtime.spawn(Worker(probe: nil))
            runtime.link(stranger.id, supervisor.id)
            stranger.send("crash")
            _ = await runtime.waitForExit(stranger.id)
            try await harness.expectQuiet(after: supervisor)
            #expect(supervisor.id.isAlive)
            #expect(try await supervisor.countChildren().active == 1)
        }
    }
}
