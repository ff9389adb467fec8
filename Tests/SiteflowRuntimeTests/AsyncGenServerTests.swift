import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

/// An ``AsyncGenServer`` whose handlers await: another server's reply, or a gate the test opens.
struct RelayServer: AsyncGenServer {
    enum Call: Sendable { case relay(Int), hold, whereAmI, crash }
    typealias Reply = String
    enum Cast: Sendable { case mark(String) }

    let counter: ServerRef<CounterServer>
    let events: EventQueue<String>
    let gate: EventQueue<Void>
    var initializedOn = ""

    mutating func initialize(context: ServerContext<RelayServer>) async throws {
        initializedOn = currentThreadName()
        _ = try await counter.call(.add(0))
        events.push("initialized")
    }

    mutating func handleCall(_ request: Call, from caller: Caller<String>, context: ServerContext<RelayServer>) async throws -> CallResult<String> {
        switch request {
        case .relay(let value):
            return .reply(try await counter.call(.add(value)))
        case .hold:
            events.push("hold started")
            try await gate.next(within: .seconds(10))
            events.push("hold finished")
            return .reply("held")
        case .whereAmI:
            return .reply("\(initializedOn) \(currentThreadName())")
        case .crash:
            await Task.yield()
            throw TestFailure(message: "async handler crashed")
        }
    }

    mutating func handleCast(_ message: Cast, context: ServerContext<RelayServer>) async throws {
        guard case .mark(let label) = message else { return }
        events.push(label)
    }
}

/// An ``AsyncGenServer`` whose `initialize` fails after awaiting.
struct FailingInitServer: AsyncGenServer {
    typealias Call = Int
    typealias Reply = Int

    mutating func initialize(context: ServerContext<FailingInitServer>) async throws {
        await Task.yield()
        throw TestFailure(message: "no database")
    }

    mutating func handleCall(_ request: Int, from caller: Caller<Int>, context: ServerContext<FailingInitServer>) async throws -> CallResult<Int> {
        .reply(request)
    }
}

/// An ``AsyncGenServer`` child that counts, and crashes on request.
struct AsyncCounter: AsyncGenServer {
    enum Call: Sendable { case add(Int), crash }
    typealias Reply = Int

    var total = 0

    mutating func handleCall(_ request: Call, from caller: Caller<Int>, context: ServerContext<AsyncCounter>) async throws -> CallResult<Int> {
        await Task.yield()
        switch request {
        case .add(let amount):
            total += amount
            return .reply(total)
        case .crash:
            throw TestFailure(message: "async child crashed")
        }
    }
}

@Suite("Servers whose handlers await (AsyncGenServer)")
struct AsyncGenServerTests {
    func start(_ runtime: Runtime) async throws -> (ServerRef<RelayServer>, EventQueue<String>, EventQueue<Void>) {
        let counter = try CounterServer.start(CounterServer(), runtime: runtime)
        let events = EventQueue<String>()
        let gate = EventQueue<Void>()
        let server = try await RelayServer.start(RelayServer(counter: counter, events: events, gate: gate), runtime: runtime)
        #expect(try await events.next(within: .seconds(10)) == "initialized")
        return (server, events, gate)
    }

    @Test("a handler that awaits another server's reply answers the call through the same ServerRef and Caller")
    func awaitingHandlerReplies() async throws {
        try await withRuntime { runtime in
            let (server, _, _) = try await start(runtime)
            #expect(try await server.call(.relay(2)) == "2")
            #expect(try await server.call(.relay(3)) == "5")
        }
    }

    @Test("handlers are not reentrant: a message sent while a handler is suspended is handled after it returns")
    func notReentrant() async throws {
        try await withRuntime { runtime in
            let (server, events, gate) = try await start(runtime)
            let held = Task { try await server.call(.hold, timeout: nil) }
            #expect(try await events.next(within: .seconds(10)) == "hold started")
            #expect(server.cast(.mark("cast handled")))
            gate.push(())
            #expect(try await held.value == "held")
            #expect(try await events.next(within: .seconds(10)) == "hold finished")
            #expect(try await events.next(within: .seconds(10)) == "cast handled")
        }
    }

    @Test("a handler that throws after suspending fails the call with serverCrashed and the server exits with the error")
    func crashAfterSuspending() async throws {
        try await withRuntime { runtime in
            let (server, _, _) = try await start(runtime)
            let error = await #expect(throws: CallError.self) { _ = try await server.call(.crash) }
            #expect(error?.isServerDown == true)
            #expect("\(String(describing: error))".contains("async handler crashed"))
            #expect(await runtime.waitForExit(server.id) == .error(TestFailure(message: "async handler crashed")))
        }
    }

    @Test("a call to an async server times out while its handler is suspended")
    func timeoutWhileSuspended() async throws {
        try await withRuntime { runtime in
            let (server, events, gate) = try await start(runtime)
            let error = await #expect(throws: CallError.self) { _ = try await server.call(.hold, timeout: .milliseconds(50)) }
            #expect(error?.isTimeout == true)
            #expect(try await events.next(within: .seconds(10)) == "hold started")
            gate.push(())
            #expect(try await events.next(within: .seconds(10)) == "hold finished")
        }
    }

    @Test("initialize and handlers run on the runtime's workers even when started and called from a plain Task")
    func runsOnWorkers() async throws {
        try await withRuntime { runtime in
            let (server, _, _) = try await start(runtime)
            let threads = try await Task.detached { try await server.call(.whereAmI) }.value.split(separator: " ")
            #expect(threads.count == 2 && threads.allSatisfy { $0.hasPrefix("siteflow") }, "\(threads)")
        }
    }

    @Test("an initialize that throws after awaiting makes start throw ServerStartError and the process end")
    func failingInitialize() async {
        await withRuntime { runtime in
            let error = await #expect(throws: ServerStartError.self) {
                _ = try await FailingInitServer.start(FailingInitServer(), runtime: runtime)
            }
            #expect("\(String(describing: error))".contains("no database"))
            #expect(runtime.processCount == 0)
        }
    }

    @Test("an AsyncGenServer child is supervised like a GenServer: after a crash it is restarted with a fresh state, reachable by name")
    func supervisedAsyncServer() async throws {
        try await withRuntime { runtime in
            let supervisor = try await Supervisor.start(runtime: runtime, strategy: .oneForOne, children: [
                .server(id: "counter", options: SpawnOptions(name: "async-counter")) { AsyncCounter() }
            ])
            let first = try #require(runtime.server(named: "async-counter", as: AsyncCounter.self))
            #expect(try await first.call(.add(2)) == 2)
            await #expect(throws: CallError.self) { _ = try await first.call(.crash) }
            #expect(await runtime.waitForExit(first.id) == .error(TestFailure(message: "async child crashed")))
            // The exit signal reached the supervisor before this call, and signals go first.
            let restartedID = try #require(try await supervisor.whichChildren().first?.process)
            #expect(restartedID != first.id)
            let restarted = try #require(runtime.server(named: "async-counter", as: AsyncCounter.self))
            #expect(restarted.id == restartedID)
            #expect(try await restarted.call(.add(1)) == 1)
            await supervisor.stop()
        }
    }
}
