import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Supervisor requests: whichChildren, countChildren, start/terminate/restart/delete a child")
struct SupervisorChildrenTests {
    @Test("whichChildren and countChildren describe the children")
    func introspection() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [
                    harness.spec("a"), harness.spec("t", restart: .transient),
                    .supervisor(id: "inner", strategy: .oneForOne, children: [harness.spec("x")]),
                ])
            try await harness.expect([.started("a"), .started("t"), .started("x")])
            let children = try await supervisor.whichChildren()
            #expect(children.map(\.id) == ["a", "t", "inner"])
            #expect(children.map(\.type) == [.worker, .worker, .supervisor])
            #expect(children.map(\.restart) == [.permanent, .transient, .permanent])
            #expect(children.allSatisfy { $0.process?.isAlive == true })
            #expect(try await supervisor.countChildren() == ChildCounts(specs: 3, active: 3, supervisors: 1, workers: 2))
            let inner = try #require(children.last?.process.flatMap(SupervisorRef.init))
            #expect(try await inner.whichChildren().map(\.id) == ["x"])
            #expect(DynamicSupervisorRef(supervisor.id) == nil)
        }
    }

    @Test("startChild appends and starts; a taken id is refused; a failing start is not kept")
    func startChild() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(runtime: runtime, strategy: .oneForOne, children: [harness.spec("a")])
            try await harness.expect([.started("a")])
            let b = try await supervisor.startChild(harness.spec("b"))
            try await harness.expect([.started("b")])
            #expect(try harness.pid("b").id == b)
            #expect(try await supervisor.whichChildren().map(\.id) == ["a", "b"])
            await #expect(throws: SupervisorError.self) { try await supervisor.startChild(harness.spec("a")) }
            let failure = await #expect(throws: SupervisorError.self) {
                try await supervisor.startChild(harness.failingSpec("bad"))
            }
            #expect(failure?.code == .childStartFailed && failure?.childID == "bad")
            #expect(try await supervisor.countChildren().specs == 2)
            // Later children are terminated first.
            await supervisor.stop()
            try await harness.expect([.terminated("b", .shutdown), .terminated("a", .shutdown)])
        }
    }

    @Test("terminateChild keeps the spec; restartChild starts it again; deleteChild removes it")
    func terminateRestartDelete() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: [harness.spec("a"), harness.spec("b")])
            try await harness.expect([.started("a"), .started("b")])
            func code(_ body: () async throws -> Void) async -> SupervisorError.Code? {
                do {
                    try await body()
                    return nil
                } catch {
                    return SupervisorError.Code.of(error)
                }
            }
            #expect(await code { try await supervisor.deleteChild(id: "a") } == .childRunning)
            #expect(await code { _ = try await supervisor.restartChild(id: "a") } == .childRunning)
            #expect(await code { try await supervisor.terminateChild(id: "nope") } == .childNotFound)

            try await supervisor.terminateChild(id: "a")
            try await harness.expect([.terminated("a", .shutdown)])
            try await harness.expectQuiet(after: supervisor)  // not restarted: it was terminated on request
            #expect(try await supervisor.whichChildren().first?.process == nil)
            #expect(try await supervisor.countChildren() == ChildCounts(specs: 2, active: 1, supervisors: 0, workers: 2))

            let restarted = try await supervisor.restartChild(id: "a")
            try await harness.expect([.started("a")])
            #expect(try harness.pid("a").id == restarted)

            try await supervisor.terminateChild(id: "a")
            try await harness.expect([.terminated("a", .shutdown)])
            try await supervisor.deleteChild(id: "a")
            #expect(try await supervisor.whichChildren().map(\.id) == ["b"])
            #expect(await code { try await supervisor.deleteChild(id: "a") } == .childNotFound)
            #expect(runtime.statistics.restarts == 0, "requests are not restarts")
        }
    }

    @Test("terminating a temporary child removes its spec")
    func terminateTemporary() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne, children: [harness.spec("t", restart: .temporary)])
            try await harness.expect([.started("t")])
            try await supervisor.terminateChild(id: "t")
            try await harness.expect([.terminated("t", .shutdown)])
            #expect(try await supervisor.countChildren().specs == 0)
        }
    }

    @Test("requests to a dead supervisor fail with supervisorNotRunning instead of hanging")
    func deadSupervisor() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let supervisor = try await Supervisor.start(runtime: runtime, strategy: .oneForOne, children: [harness.spec("a")])
            try await harness.expect([.started("a")])
            #expect(await supervisor.stop(reason: .shutdown) == .shutdown)
            let which = await #expect(throws: SupervisorError.self) { try await supervisor.whichChildren() }
            #expect(which?.code == .supervisorNotRunning)
            let start = await #expect(throws: SupervisorError.self) { try await supervisor.startChild(harness.spec("b")) }
            #expect(start?.code == .supervisorNotRunning)
            #expect(harness.events.count == 1, "only a's termination; b was never started")
            #expect(await supervisor.stop() == .shutdown, "stopping again returns the recorded reason")

            let dynamic = try await DynamicSupervisor.start(runtime: runtime)
            await dynamic.stop()
            let count = await #expect(throws: SupervisorError.self) { try await dynamic.countChildren() }
            #expect(count?.code == .supervisorNotRunning)
        }
    }

    @Test("a request queued behind a supervisor that then dies is answered with supervisorNotRunning")
    func supervisorDiesWithRequestsQueued() async throws {
        try await withRuntime { runtime in
            let harness = ChildHarness()
            let gate = AsyncGate()
            let blocking = ChildSpec(id: "slow") { _ in
                await gate.wait()
                throw TestFailure(message: "never starts")
            }
            let supervisor = try await Supervisor.start(runtime: runtime, strategy: .oneForOne, children: [harness.spec("a")])
            try await harness.expect([.started("a")])
            // The supervisor is busy in startChild (awaiting the gate); a request sent now waits
            // behind it. Kill the supervisor (the kill takes effect once the handler returns): the
            // request is dropped with the mailbox — or, if it is sent only after the exit, refused —
            // and either way answered with supervisorNotRunning.
            let slowStart = Task { try await supervisor.startChild(blocking) }
            try await gate.untilWaiting()
            let queued = Task { try await supervisor.whichChildren() }
            runtime.exit(supervisor.id, reason: .kill)
            gate.open()
            #expect(await runtime.waitForExit(supervisor.id) == .killed)
            let dropped = await #expect(throws: SupervisorError.self) { try await queued.value }
            #expect(dropped?.code == .supervisorNotRunning)
            let failed = await #expect(throws: SupervisorError.self) { try await slowStart.value }
            #expect(failed?.code == .childStartFailed, "the request in progress is answered before the kill")
        }
    }
}
