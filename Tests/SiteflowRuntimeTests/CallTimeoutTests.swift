import Dispatch
import NIOCore
import NIOPosix
import SiteflowRuntime
import SiteflowRuntimeTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a ``BlockingServer`` handler saw, and the events around one slow call, in order.
final class HandlerGate: Sendable {
    /// "handler started", the caller's outcome, and how the handler finished, as they happen.
    let events = EventQueue<String>()
    private let gate = DispatchSemaphore(value: 0)
    private let observed = Mutex<(threadName: String, onEventLoop: Bool)?>(nil)

    /// The handler: records where it runs, then holds its thread until ``open()`` (at most
    /// 10 s: longer than the 2 s handler, so that a test run loaded enough to starve
    /// Swift's global pool for seconds still sees the caller's timeout first).
    func holdHandler() {
        observed.withLock { $0 = (currentThreadName(), MultiThreadedEventLoopGroup.currentEventLoop != nil) }
        events.push("handler started")
        let opened = gate.wait(timeout: .now() + .seconds(10)) == .success
        events.push(opened ? "handler finished after the gate opened" : "handler finished after 10 s")
    }

    /// Lets the handler finish.
    func open() { gate.signal() }

    /// The name of the thread the handler ran on, and whether it was a SwiftNIO event loop.
    var handlerThread: (threadName: String, onEventLoop: Bool)? { observed.withLock { $0 } }
}

/// A server whose call handler blocks its thread for seconds (see ``HandlerGate``).
struct BlockingServer: GenServer {
    enum Call: Sendable { case block }
    typealias Reply = String

    let gate: HandlerGate

    mutating func handleCall(_ request: Call, from caller: Caller<String>, context: ServerContext<BlockingServer>) throws -> CallResult<String> {
        gate.holdHandler()
        return .reply("handled")
    }
}

/// Makes the slow call with a 100 ms timeout and describes how it ended.
func slowCallOutcome(_ server: ServerRef<BlockingServer>) async -> String {
    do throws(CallError) {
        let reply = try await server.call(.block, timeout: .milliseconds(100))
        return "call returned \(reply)"
    } catch {
        return error.isTimeout ? "call timed out" : "call failed: \(error)"
    }
}

/// A process that makes the slow call when told to and reports the outcome.
struct SlowCallingProcess: AsyncBehavior {
    enum Message: Sendable { case call }

    let server: ServerRef<BlockingServer>
    let gate: HandlerGate

    mutating func handle(_ message: Message, context: ProcessContext<Message>) async throws {
        gate.events.push(await slowCallOutcome(server))
    }
}

/// Code isolated to a SwiftNIO event loop: its methods run on the loop's thread.
actor EventLoopCaller {
    let loop: any EventLoop

    init(loop: any EventLoop) { self.loop = loop }

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// Makes the slow call from the event loop's thread.
    func slowCall(_ server: ServerRef<BlockingServer>, gate: HandlerGate) async {
        let startedOnLoop = loop.inEventLoop
        let outcome = await slowCallOutcome(server)
        gate.events.push(startedOnLoop ? outcome : "the caller did not run on the event loop")
    }
}

/// The name of the calling thread, from `/proc/thread-self/comm` ("" where it cannot be read).
func currentThreadName() -> String {
    #if canImport(Glibc)
    let file = open("/proc/thread-self/comm", O_RDONLY)
    guard file >= 0 else { return "" }
    defer { close(file) }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
    guard count > 0 else { return "" }
    return String(decoding: buffer.prefix(count).filter { $0 != 10 }, as: UTF8.self)
    #else
    return ""
    #endif
}

/// A call's timeout holds whoever calls: a server whose handler blocks for seconds makes a
/// `call(timeout: .milliseconds(100))` fail with ``CallError/timeout`` while the handler is still
/// running, never after it. The handler holds its thread until the test opens its gate, which the
/// test does only once the call has ended, so a caller that waited for the handler would see it
/// finish "after 10 s" first.
@Suite("A call's timeout holds for every kind of caller")
struct CallTimeoutTests {
    /// Starts the blocking server, lets `startCall` make the slow call, and checks that the call
    /// timed out while the handler was still blocked; returns the gate for further checks.
    func expectTimeoutWhileHandlerRuns(
        _ runtime: Runtime, startCall: (ServerRef<BlockingServer>, HandlerGate) throws -> Void
    ) async throws -> HandlerGate {
        let gate = HandlerGate()
        let server = try BlockingServer.start(BlockingServer(gate: gate), runtime: runtime)
        try startCall(server, gate)
        // The handler may start before or after the timeout fires; both must come before the
        // handler finishes.
        let first = try await gate.events.next(within: .seconds(10))
        let second = try await gate.events.next(within: .seconds(10))
        #expect(Set([first, second]) == ["handler started", "call timed out"], "\(first), \(second)")
        gate.open()
        // Normally "after the gate opened"; on a machine loaded enough that the test could not
        // open it within 10 s, "after 10 s" — the order above is what matters.
        #expect(try await gate.events.next(within: .seconds(10)).hasPrefix("handler finished"))
        let thread = try #require(gate.handlerThread)
        #expect(thread.threadName.hasPrefix("siteflow"), "the handler ran on \(thread.threadName)")
        #expect(!thread.onEventLoop)
        return gate
    }

    @Test("a task on the runtime's executor gets the timeout while the handler still runs")
    func runtimeTaskCaller() async throws {
        try await withRuntime { runtime in
            _ = try await expectTimeoutWhileHandlerRuns(runtime) { server, gate in
                Task(executorPreference: runtime.scheduler) { gate.events.push(await slowCallOutcome(server)) }
            }
        }
    }

    @Test("a process (AsyncBehavior) gets the timeout while the handler still runs")
    func processCaller() async throws {
        try await withRuntime { runtime in
            _ = try await expectTimeoutWhileHandlerRuns(runtime) { server, gate in
                let caller = try runtime.spawn(SlowCallingProcess(server: server, gate: gate))
                caller.send(.call)
            }
        }
    }

    @Test("a plain Task gets the timeout while the handler still runs, and the handler runs on a worker the watchdog sees")
    func plainTaskCaller() async throws {
        try await withRuntime { runtime in
            let gate = HandlerGate()
            let server = try BlockingServer.start(BlockingServer(gate: gate), runtime: runtime)
            Task { gate.events.push(await slowCallOutcome(server)) }
            let first = try await gate.events.next(within: .seconds(10))
            let second = try await gate.events.next(within: .seconds(10))
            #expect(Set([first, second]) == ["handler started", "call timed out"], "\(first), \(second)")
            // The watchdog reports a handler past its 100 ms threshold within a few of its 10 ms
            // rounds; wait for that (bounded) before letting the handler finish.
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(5))
            while runtime.statistics.longRuns == 0 && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(runtime.statistics.longRuns >= 1)
            gate.open()
            #expect(try await gate.events.next(within: .seconds(10)).hasPrefix("handler finished"))
            let thread = try #require(gate.handlerThread)
            #expect(thread.threadName.hasPrefix("siteflow"), "the handler ran on \(thread.threadName)")
        }
    }

    @Test("code on a SwiftNIO event loop gets the timeout while the handler still runs, and the handler never runs on the loop")
    func eventLoopCaller() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await withRuntime { runtime in
                let caller = EventLoopCaller(loop: group.next())
                _ = try await expectTimeoutWhileHandlerRuns(runtime) { server, gate in
                    Task { await caller.slowCall(server, gate: gate) }
                }
            }
        } catch {
            try await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    @Test("a fast call from each kind of caller still gets its reply")
    func fastCallsStillAnswered() async throws {
        try await withRuntime { runtime in
            let counter = try CounterServer.start(CounterServer(), runtime: runtime)
            let fromRuntimeTask = try await Task(executorPreference: runtime.scheduler) { try await counter.call(.add(1)) }.value
            let fromPlainTask = try await Task { try await counter.call(.add(1)) }.value
            #expect(fromRuntimeTask == "1")
            #expect(fromPlainTask == "2")
        }
    }
}
