import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

/// A key-value store server used to specify GenServer behaviour.
struct KeyValueServer: GenServer {
    enum Call: Sendable { case get(String), put(String, Int), crash, stop, hold, sleepForever }
    enum Cast: Sendable { case put(String, Int), releaseHeld(Int) }
    enum Info: Sendable { case tick }
    typealias Reply = Int?

    var values: [String: Int] = [:]
    var held: [Caller<Int?>] = []
    var ticks = 0
    let failInit: Bool
    let events: EventQueue<String>?

    init(failInit: Bool = false, events: EventQueue<String>? = nil) {
        self.failInit = failInit
        self.events = events
    }

    mutating func initialize(context: ServerContext<KeyValueServer>) throws {
        if failInit { throw TestFailure(message: "init refused") }
        events?.push("init")
    }

    mutating func handleCall(_ request: Call, from caller: Caller<Int?>, context: ServerContext<KeyValueServer>) throws -> CallResult<Int?> {
        switch request {
        case .get(let key): return .reply(values[key])
        case .put(let key, let value):
            values[key] = value
            return .reply(value)
        case .crash: throw TestFailure(message: "crashed in call")
        case .stop: return .stop(.normal, reply: nil)
        case .hold:
            held.append(caller)
            events?.push("held \(held.count)")
            return .noReply
        case .sleepForever: return .noReply
        }
    }

    mutating func handleCast(_ message: Cast, context: ServerContext<KeyValueServer>) throws {
        switch message {
        case .put(let key, let value): values[key] = value
        case .releaseHeld(let value):
            for caller in held { caller.reply(value) }
            held = []
        }
    }

    mutating func handleInfo(_ message: Info, context: ServerContext<KeyValueServer>) throws {
        ticks += 1
        events?.push("tick \(ticks)")
    }

    mutating func terminate(reason: ExitReason, context: ServerContext<KeyValueServer>) {
        events?.push("terminate \(reason)")
    }
}

@Suite("GenServer: init, call, cast, info, terminate")
struct GenServerTests {
    @Test("call returns the reply; cast and info are handled in order with calls")
    func callCastInfo() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<String>()
            let server = try KeyValueServer.start(KeyValueServer(events: events), runtime: runtime)
            #expect(try await events.next(within: .seconds(10)) == "init")
            #expect(try await server.call(.put("a", 1)) == 1)
            server.cast(.put("b", 2))
            #expect(try await server.call(.get("b")) == 2)
            server.info(.tick)
            #expect(try await events.next(within: .seconds(10)) == "tick 1")
            #expect(try await server.call(.get("missing")) == nil)
        }
    }

    @Test("a failing init makes start throw, and the process never runs")
    func failingInit() async throws {
        await withRuntime { runtime in
            #expect(throws: ServerStartError.self) {
                _ = try KeyValueServer.start(KeyValueServer(failInit: true), runtime: runtime)
            }
            #expect(runtime.processCount == 0)
        }
    }

    @Test("a call times out with a typed error and the server keeps running")
    func callTimeout() async throws {
        try await withRuntime { runtime in
            let server = try KeyValueServer.start(KeyValueServer(), runtime: runtime)
            await #expect(throws: CallError.self) {
                try await server.call(.sleepForever, timeout: .milliseconds(20))
            }
            do {
                _ = try await server.call(.sleepForever, timeout: .milliseconds(20))
            } catch let error as CallError {
                #expect(error.isTimeout)
            }
            #expect(try await server.call(.put("x", 9)) == 9)
        }
    }

    @Test("calling a dead server fails at once with noProcess")
    func callDeadServer() async throws {
        try await withRuntime { runtime in
            let server = try KeyValueServer.start(KeyValueServer(), runtime: runtime)
            _ = try await server.call(.stop)
            _ = await runtime.waitForExit(server.id)
            do {
                _ = try await server.call(.get("a"), timeout: nil)
                Issue.record("expected a failure")
            } catch let error as CallError {
                #expect(error.isServerDown)
            }
        }
    }

    @Test("a server that crashes while handling the call fails the caller with the crash")
    func crashMidCall() async throws {
        try await withRuntime { runtime in
            let server = try KeyValueServer.start(KeyValueServer(), runtime: runtime)
            do {
                _ = try await server.call(.crash, timeout: nil)
                Issue.record("expected a failure")
            } catch let error as CallError {
                #expect(error.isServerDown)
                #expect("\(error)".contains("crashed in call"))
            }
            #expect(await runtime.waitForExit(server.id) == .error(TestFailure(message: "crashed in call")))
        }
    }

    @Test("a server killed while holding callers fails them at once instead of hanging")
    func killedWithPendingCallers() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<String>()
            let server = try KeyValueServer.start(KeyValueServer(events: events), runtime: runtime)
            #expect(try await events.next(within: .seconds(10)) == "init")
            let first = Task { try await server.call(.hold, timeout: nil) }
            let second = Task { try await server.call(.hold, timeout: nil) }
            #expect(try await events.next(within: .seconds(10)) == "held 1")
            #expect(try await events.next(within: .seconds(10)) == "held 2")
            runtime.exit(server.id, reason: .kill)
            for task in [first, second] {
                switch await task.result {
                case .success: Issue.record("expected failure")
                case .failure(let error): #expect((error as? CallError)?.isServerDown == true)
                }
            }
        }
    }

    @Test("a call from an already-cancelled task fails with cancelled and is never sent")
    func cancelledCaller() async throws {
        try await withRuntime { runtime in
            let server = try KeyValueServer.start(KeyValueServer(), runtime: runtime)
            let outcome = await Task { () async -> CallError? in
                withUnsafeCurrentTask { $0?.cancel() }
                do {
                    _ = try await server.call(.put("k", 1))
                    return nil
                } catch let error as CallError {
                    return error
                } catch {
                    return nil
                }
            }.value
            #expect(outcome?.isCancelled == true)
            #expect(try await server.call(.get("k")) == nil, "the cancelled request never reached the server")
        }
    }

    @Test("a deferred reply (noReply) is delivered later through the caller")
    func deferredReply() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<String>()
            let server = try KeyValueServer.start(KeyValueServer(events: events), runtime: runtime)
            #expect(try await events.next(within: .seconds(10)) == "init")
            // A long timeout: this checks the deferred reply, not timeouts, and a loaded machine
            // running the other suites in parallel can hold this task up for seconds.
            async let held = server.call(.hold, timeout: .seconds(60))
            // Wait until the server holds the caller: `async let` may start the child after this
            // task's next call reached the server, and the release below would then find no one.
            #expect(try await events.next(within: .seconds(10)) == "held 1")
            _ = try await server.call(.get("sync"))
            server.cast(.releaseHeld(42))
            #expect(try await held == 42)
        }
    }

    @Test("terminate runs when the server stops itself and on orderly shutdown by its parent")
    func terminateRuns() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<String>()
            let server = try KeyValueServer.start(KeyValueServer(events: events), runtime: runtime)
            _ = try await events.next(within: .seconds(10))
            _ = try await server.call(.stop)
            #expect(try await events.next(within: .seconds(10)) == "terminate normal")

            let parent = try TestProbe<String>(runtime: runtime)
            let child = try KeyValueServer.start(
                KeyValueServer(events: events), runtime: runtime, options: SpawnOptions(parent: parent.pid.id))
            _ = try await events.next(within: .seconds(10))
            runtime.link(parent.pid.id, child.id)
            runtime.exit(child.id, reason: .shutdown)  // not from the parent: ends without terminate
            _ = await runtime.waitForExit(child.id)
            let child2 = try KeyValueServer.start(
                KeyValueServer(events: events), runtime: runtime, options: SpawnOptions(parent: parent.pid.id))
            _ = try await events.next(within: .seconds(10))
            parentExit(parent, child2.id)
            #expect(try await events.next(within: .seconds(10)) == "terminate shutdown")
        }
    }

    @Test("info messages can come from a timer")
    func timerInfo() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<String>()
            let server = try KeyValueServer.start(KeyValueServer(events: events), runtime: runtime)
            _ = try await events.next(within: .seconds(10))
            runtime.sendAfter(.info(.tick), to: server.pid, after: .milliseconds(5))
            #expect(try await events.next(within: .seconds(10)) == "tick 1")
        }
    }
}

/// Sends `.shutdown` to `child` as its parent (the probe) would.
private func parentExit(_ parent: TestProbe<String>, _ child: ProcessID) {
    parent.exit(child, reason: .shutdown)
}


@Suite("GenServer under a supervisor")
struct SupervisedServerTests {
    @Test("a supervised server that crashes is restarted with a fresh state and found again by name")
    func restartedByName() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<String>()
            let supervisor = try await Supervisor.start(
                runtime: runtime, strategy: .oneForOne,
                children: [.server(id: "kv", options: SpawnOptions(name: "kv")) { KeyValueServer(events: events) }])
            #expect(try await events.next(within: .seconds(10)) == "init")
            let first = try #require(runtime.server(named: "kv", as: KeyValueServer.self))
            _ = try await first.call(.put("a", 1))
            await #expect(throws: CallError.self) { try await first.call(.crash) }
            #expect(try await events.next(within: .seconds(10)).hasPrefix("terminate"))
            #expect(try await events.next(within: .seconds(10)) == "init", "the supervisor started it again")
            let second = try #require(runtime.server(named: "kv", as: KeyValueServer.self))
            #expect(second.id != first.id)
            #expect(try await second.call(.get("a")) == nil, "a restart begins with a fresh state")
            #expect(runtime.server(named: "kv", as: SupervisedOther.self) == nil, "a name is typed")
            _ = supervisor
        }
    }

    @Test("a server whose init fails is a failed child start")
    func failingInitFailsTheStart() async throws {
        let failure = await withRuntime { runtime in
            await #expect(throws: (any Error).self) {
                _ = try await Supervisor.start(
                    runtime: runtime, strategy: .oneForOne,
                    children: [.server(id: "broken") { KeyValueServer(failInit: true) }])
            }
        }
        #expect(failure != nil)
    }
}

/// Another server type, to check that by-name lookups are typed.
struct SupervisedOther: GenServer {
    typealias Call = Int
    typealias Cast = Int
    typealias Info = Int
    typealias Reply = Int
    mutating func handleCall(_ request: Int, from caller: Caller<Int>, context: ServerContext<SupervisedOther>) throws -> CallResult<Int> {
        .reply(request)
    }
    mutating func handleCast(_ message: Int, context: ServerContext<SupervisedOther>) throws {}
    mutating func handleInfo(_ message: Int, context: ServerContext<SupervisedOther>) throws {}
}
