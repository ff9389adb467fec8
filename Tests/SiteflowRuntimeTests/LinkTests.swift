import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Links and exit signals follow Erlang's rules")
struct LinkTests {
    /// Spawns a worker linked to a trapping probe, then makes it exit via `command`.
    private func exitReason(of command: String, runtime: Runtime) async throws -> (ExitReason, ProcessID) {
        let probe = try TestProbe<String>(runtime: runtime)
        let worker = try runtime.spawn(Worker(probe: nil))
        try await linkProbe(probe, to: worker.id, runtime: runtime)
        worker.send(command)
        guard case .exit(let from, let reason) = try await probe.nextSignal() else {
            Issue.record("expected an exit signal")
            return (.normal, worker.id)
        }
        return (reason, from)
    }

    @Test("a trapping process receives a linked process's exit as a message")
    func trappedExitArrivesAsMessage() async throws {
        try await withRuntime { runtime in
            let (reason, _) = try await exitReason(of: "crash", runtime: runtime)
            #expect(reason == .error(TestFailure(message: "boom")))
            let (normal, _) = try await exitReason(of: "stop", runtime: runtime)
            #expect(normal == .normal)
        }
    }

    @Test("an abnormal exit kills a linked process with the same reason")
    func abnormalExitPropagates() async throws {
        try await withRuntime { runtime in
            let a = try runtime.spawn(Worker(probe: nil))
            let b = try runtime.spawn(Linker(target: a.id))
            b.send(.link)
            try await waitUntilLinked(b, runtime: runtime)
            a.send("crash")
            #expect(await runtime.waitForExit(b.id) == .error(TestFailure(message: "boom")))
        }
    }

    @Test("a normal exit does not kill linked processes")
    func normalExitDoesNotPropagate() async throws {
        try await withRuntime { runtime in
            let probe = try TestProbe<String>(runtime: runtime)
            let a = try runtime.spawn(Worker(probe: nil))
            let b = try runtime.spawn(Linker(target: a.id, probe: probe.pid))
            b.send(.link)
            try await waitUntilLinked(b, runtime: runtime)
            a.send("stop")
            #expect(await runtime.waitForExit(a.id) == .normal)
            b.send(.ping)
            #expect(try await probe.next() == "pong")
            #expect(b.isAlive)
        }
    }

    @Test("kill cannot be trapped and arrives at links as killed")
    func killIsUntrappable() async throws {
        try await withRuntime { runtime in
            let probe = try TestProbe<String>(runtime: runtime)
            let trapper = try runtime.spawn(Worker(probe: nil), options: SpawnOptions(trapExits: true))
            try await linkProbe(probe, to: trapper.id, runtime: runtime)
            runtime.exit(trapper.id, reason: .kill)
            #expect(await runtime.waitForExit(trapper.id) == .killed)
            guard case .exit(_, let reason) = try await probe.nextSignal() else {
                Issue.record("expected exit")
                return
            }
            #expect(reason == .killed)
        }
    }

    @Test("a trapping process survives an abnormal exit signal and sees it")
    func trappingSurvives() async throws {
        try await withRuntime { runtime in
            let probe = try TestProbe<String>(runtime: runtime)
            runtime.exit(probe.pid.id, reason: .custom("bad"))
            guard case .exit(_, let reason) = try await probe.nextSignal() else {
                Issue.record("expected exit")
                return
            }
            #expect(reason == .custom("bad"))
            #expect(probe.pid.isAlive)
        }
    }

    @Test("linking to a dead process delivers an exit signal with reason noproc")
    func linkToDead() async throws {
        try await withRuntime { runtime in
            let dead = try runtime.spawn(Worker(probe: nil))
            dead.send("stop")
            _ = await runtime.waitForExit(dead.id)
            let probe = try TestProbe<String>(runtime: runtime)
            try await linkProbe(probe, to: dead.id, runtime: runtime)
            guard case .exit(let from, let reason) = try await probe.nextSignal() else {
                Issue.record("expected exit")
                return
            }
            #expect(from == dead.id)
            #expect(reason == .noproc)
        }
    }

    @Test("unlink stops propagation")
    func unlinkStopsPropagation() async throws {
        try await withRuntime { runtime in
            let probe = try TestProbe<String>(runtime: runtime)
            let a = try runtime.spawn(Worker(probe: nil))
            let b = try runtime.spawn(Linker(target: a.id, probe: probe.pid))
            b.send(.link)
            try await waitUntilLinked(b, runtime: runtime)
            b.send(.unlink)
            b.send(.ping)
            #expect(try await probe.next() == "pong")
            a.send("crash")
            _ = await runtime.waitForExit(a.id)
            b.send(.ping)
            #expect(try await probe.next() == "pong")
        }
    }

    @Test("spawnLink from a process links parent and child")
    func spawnLink() async throws {
        try await withRuntime { runtime in
            struct Parent: Behavior {
                let probe: PID<String>
                mutating func handle(_ message: String, context: ProcessContext<String>) throws {
                    let child = try context.spawnLink(Worker(probe: nil))
                    child.send("crash")
                }
            }
            let probe = try TestProbe<String>(runtime: runtime)
            let parent = try runtime.spawn(Parent(probe: probe.pid))
            parent.send("go")
            #expect(await runtime.waitForExit(parent.id) == .error(TestFailure(message: "boom")))
        }
    }
}

/// Links itself to `target` on request and answers pings.
struct Linker: Behavior {
    enum Message: Sendable { case link, unlink, ping, linked(PID<String>) }
    let target: ProcessID
    var probe: PID<String>? = nil
    mutating func handle(_ message: Message, context: ProcessContext<Message>) throws {
        switch message {
        case .link: context.link(target)
        case .unlink: context.unlink(target)
        case .ping: probe?.send("pong")
        case .linked(let reply): reply.send("linked")
        }
    }
}

/// Waits until a Linker has handled its queued `.link` (messages are handled in order).
func waitUntilLinked(_ linker: PID<Linker.Message>, runtime: Runtime) async throws {
    let probe = try TestProbe<String>(runtime: runtime)
    linker.send(.linked(probe.pid))
    _ = try await probe.next()
}

/// Links a probe to `target`.
func linkProbe(_ probe: TestProbe<String>, to target: ProcessID, runtime: Runtime) async throws {
    probe.link(target)
}
