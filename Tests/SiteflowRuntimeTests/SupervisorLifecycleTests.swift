import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Supervisor start failures and shutdown policies")
struct SupervisorLifecycleTests {
    @Test("if the second child fails to start, the first is stopped and start throws naming the child")
    func startFailure() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let error = await #expect(throws: SupervisorError.self) {
                _ = try await Supervisor.start(
                    runtime: runtime, strategy: .oneForOne,
                    children: [harness.spec("first"), harness.failingSpec("second"), harness.spec("third")],
                    name: "failing-tree")
            }
            #expect(error?.code == .childStartFailed)
            #expect(error?.childID == "second")
            #expect((error?.underlying as? TestFailure)?.message == "cannot start second")
            try await harness.expect([.started("first"), .terminated("first", .shutdown)])
            #expect(harness.events.count == 0, "the third child is never started")
            #expect(try !harness.pid("first").isAlive)
            #expect(runtime.names.lookup("failing-tree").isEmpty, "the supervisor has ended")
        }
    }

    @Test("duplicate child ids are refused at start")
    func duplicateIDs() async throws {
        await withRuntime { runtime in
            let harness = ChildHarness()
            let error = await #expect(throws: SupervisorError.self) {
                _ = try await Supervisor.start(
                    runtime: runtime, strategy: .oneForOne, children: [harness.spec("a"), harness.spec("a")])
            }
            #expect(error?.code == .duplicateChildID)
            #expect(harness.events.count == 0)
        }
    }

    @Test("a child that ignores shutdown is killed once its timeout has passed")
    func shutdownTimeoutThenKill() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [
                    harness.spec("polite"),
                    harness.spec("stubborn", shutdown: .timeout(.milliseconds(50)), stubborn: true),
                ])
            try await harness.expect([.started("polite"), .started("stubborn")])
            let stubborn = try harness.pid("stubborn")
            await supervisor.stop(reason: .shutdown)
            #expect(await runtime.waitForExit(stubborn.id) == .killed)
            // Killed: its terminate never ran; then the polite one stopped in order.
            try await harness.expect([.terminated("polite", .shutdown)])
        }
    }

    @Test("brutalKill ends the child at once without running terminate")
    func brutalKill() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [harness.spec("a"), harness.spec("b", shutdown: .brutalKill)])
            try await harness.expect([.started("a"), .started("b")])
            let b = try harness.pid("b")
            await supervisor.stop()
            #expect(await runtime.waitForExit(b.id) == .killed)
            try await harness.expect([.terminated("a", .shutdown)])
        }
    }

    @Test("a stubborn child restarted by oneForAll is killed after its timeout, and the restart goes on")
    func stubbornSiblingDuringRestart() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForAll,
                children: [
                    harness.spec("a"), harness.spec("stubborn", shutdown: .timeout(.milliseconds(50)), stubborn: true),
                ])
            try await harness.expect([.started("a"), .started("stubborn")])
            try harness.send("crash", to: "a")
            try await harness.expect([
                .terminated("a", .error(TestFailure(message: "boom"))), .started("a"), .started("stubborn"),
            ])
            try await harness.expectQuiet(after: supervisor)
        }
    }
}
