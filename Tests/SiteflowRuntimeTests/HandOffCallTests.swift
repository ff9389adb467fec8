import SiteflowRuntime
import SiteflowRuntimeTesting
import Synchronization
import Testing

/// A server whose reply type differs from ``KeyValueServer``'s, so that calls alternating between
/// the two exercise a worker's spare reply slot of the wrong type.
struct CounterServer: GenServer {
    enum Call: Sendable { case add(Int), crash, ignore }
    typealias Reply = String

    var total = 0

    mutating func handleCall(_ request: Call, from caller: Caller<String>, context: ServerContext<CounterServer>) throws -> CallResult<String> {
        switch request {
        case .add(let value):
            total += value
            return .reply("\(total)")
        case .crash: throw TestFailure(message: "counter crashed")
        case .ignore: return .noReply
        }
    }
}

/// Calls made from tasks that run on the runtime's own workers: the caller suspends and hands its
/// worker to the idle server (see ``ServerRef/call(_:timeout:)``), so these pin down that this
/// path keeps every outcome a call can have.
@Suite("GenServer calls from tasks on the runtime's workers (hand-off to the server)")
struct HandOffCallTests {
    /// Runs `body` in a task that prefers the runtime's scheduler, as the call benchmark does.
    func onWorkers<R: Sendable>(_ runtime: Runtime, _ body: @escaping @Sendable () async throws -> R) async throws -> R {
        try await Task(executorPreference: runtime.scheduler) { try await body() }.value
    }

    @Test("many calls in a row, alternating between servers of different reply types, all get their replies")
    func alternatingServers() async throws {
        try await withRuntime { runtime in
            let counter = try CounterServer.start(CounterServer(), runtime: runtime)
            let store = try KeyValueServer.start(KeyValueServer(), runtime: runtime)
            let last = try await onWorkers(runtime) { () async throws -> String in
                var last = ""
                for value in 1...500 {
                    last = try await counter.call(.add(1))
                    #expect(try await store.call(.put("k", value)) == value)
                    if value % 3 == 0 { #expect(try await store.call(.get("k")) == value) }
                }
                return last
            }
            #expect(last == "500")
            #expect(runtime.processCount == 2)
        }
    }

    @Test("concurrent callers on both workers share one server without losing a reply")
    func concurrentCallers() async throws {
        try await withRuntime { runtime in
            let counter = try CounterServer.start(CounterServer(), runtime: runtime)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask(executorPreference: runtime.scheduler) {
                        for _ in 0..<1_000 { _ = try await counter.call(.add(1)) }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await onWorkers(runtime) { try await counter.call(.add(0)) } == "4000")
        }
    }

    @Test("a server that does not reply makes the caller time out with a typed error, and keeps serving")
    func timeoutAfterHandOff() async throws {
        try await withRuntime { runtime in
            let counter = try CounterServer.start(CounterServer(), runtime: runtime)
            let outcome = try await onWorkers(runtime) { () async -> CallError? in
                do {
                    _ = try await counter.call(.ignore, timeout: .milliseconds(20))
                    return nil
                } catch let error as CallError {
                    return error
                } catch {
                    return nil
                }
            }
            #expect(outcome?.isTimeout == true)
            #expect(try await onWorkers(runtime) { try await counter.call(.add(5)) } == "5")
        }
    }

    @Test("a server that crashes handling the call fails the caller with the crash")
    func crashDuringHandOff() async throws {
        try await withRuntime { runtime in
            let counter = try CounterServer.start(CounterServer(), runtime: runtime)
            let outcome = try await onWorkers(runtime) { () async -> CallError? in
                do {
                    _ = try await counter.call(.crash, timeout: nil)
                    return nil
                } catch let error as CallError {
                    return error
                } catch {
                    return nil
                }
            }
            #expect(outcome?.isServerDown == true)
            #expect("\(String(describing: outcome))".contains("counter crashed"))
            #expect(await runtime.waitForExit(counter.id) == .error(TestFailure(message: "counter crashed")))
            let afterwards = try await onWorkers(runtime) { () async -> CallError? in
                do {
                    _ = try await counter.call(.add(1), timeout: nil)
                    return nil
                } catch let error as CallError {
                    return error
                } catch {
                    return nil
                }
            }
            #expect(afterwards?.isServerDown == true)
        }
    }

    @Test("a deferred reply reaches a caller whose server run ended without one")
    func deferredReplyAfterHandOff() async throws {
        try await withRuntime { runtime in
            let events = EventQueue<String>()
            let store = try KeyValueServer.start(KeyValueServer(events: events), runtime: runtime)
            #expect(try await events.next(within: .seconds(10)) == "init")
            let held = Task(executorPreference: runtime.scheduler) { try await store.call(.hold, timeout: .seconds(60)) }
            #expect(try await events.next(within: .seconds(10)) == "held 1")
            store.cast(.releaseHeld(42))
            #expect(try await held.value == 42)
        }
    }
}

#if canImport(Glibc)
import Glibc

/// Answers each call with the thread its handler ran on.
struct ThreadReportingServer: GenServer {
    enum Call: Sendable { case whereAmI, crash }
    typealias Reply = UInt

    mutating func handleCall(_ request: Call, from caller: Caller<UInt>, context: ServerContext<ThreadReportingServer>) throws -> CallResult<UInt> {
        switch request {
        case .whereAmI: return .reply(UInt(pthread_self()))
        case .crash: throw TestFailure(message: "crashed handling a foreign call")
        }
    }
}

/// Calls from tasks on other executors (Swift's global one): the server is queued on the
/// runtime's workers and never runs on the calling thread (see ``CallTimeoutTests``).
@Suite("GenServer calls from tasks on other executors (server runs on its workers)")
struct ForeignCallerTests {
    @Test("a call from a task on the global executor to an idle server never runs the server on the caller's thread")
    func neverRunsOnCallingThread() async throws {
        try await withRuntime { runtime in
            let server = try ThreadReportingServer.start(ThreadReportingServer(), runtime: runtime)
            let (caller, handler) = try await Task.detached { () async throws -> (UInt, UInt) in
                let caller = UInt(pthread_self())
                return (caller, try await server.call(.whereAmI))
            }.value
            #expect(handler != caller)
        }
    }

    @Test("many concurrent callers on the global executor share one server without losing a reply")
    func concurrentForeignCallers() async throws {
        try await withRuntime { runtime in
            let counter = try CounterServer.start(CounterServer(), runtime: runtime)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { for _ in 0..<1_000 { _ = try await counter.call(.add(1)) } }
                }
                try await group.waitForAll()
            }
            #expect(try await counter.call(.add(0)) == "4000")
        }
    }

    @Test("a server that crashes handling a call from the global executor fails that call with a typed error, exits, and later calls get noProcess")
    func crashOnForeignCall() async throws {
        try await withRuntime { runtime in
            let server = try ThreadReportingServer.start(ThreadReportingServer(), runtime: runtime)
            #expect(runtime.processCount == 1)
            let crashed = await Task.detached { () async -> CallError? in
                do throws(CallError) {
                    _ = try await server.call(.crash)
                    return nil
                } catch {
                    return error
                }
            }.value
            let error = try #require(crashed)
            #expect(error.isServerDown, "\(error)")
            #expect(await runtime.waitForExit(server.id) == .error(TestFailure(message: "crashed handling a foreign call")))
            await #expect(throws: CallError.self) { _ = try await server.call(.whereAmI) }
        }
    }
}
#endif
