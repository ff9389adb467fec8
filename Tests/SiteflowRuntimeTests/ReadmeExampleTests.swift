import SiteflowRuntime
import Testing

// The README's supervised-server example, kept compiling and true.

private struct Counter: GenServer {
    enum Call: Sendable { case add(Int), read }
    typealias Cast = Never
    typealias Info = Never
    typealias Reply = Int
    var total = 0

    mutating func handleCall(_ request: Call, from caller: Caller<Int>, context: ServerContext<Counter>) throws -> CallResult<Int> {
        switch request {
        case .add(let amount) where amount < 0: throw CounterError.negative
        case .add(let amount): total += amount; return .reply(total)
        case .read: return .reply(total)
        }
    }
    mutating func handleCast(_ message: Never, context: ServerContext<Counter>) throws {}
    mutating func handleInfo(_ message: Never, context: ServerContext<Counter>) throws {}
}
private enum CounterError: Error { case negative }

@Test("the README's supervised counter: a crash is answered at once and the server comes back fresh")
func readmeSupervisedCounter() async throws {
    let runtime = Runtime()
    defer { runtime.shutdown() }
    let supervisor = try await Supervisor.start(runtime: runtime, strategy: .oneForOne, children: [
        .server(id: "counter", options: SpawnOptions(name: "counter")) { Counter() },
    ])
    let counter = try #require(runtime.server(named: "counter", as: Counter.self))
    #expect(try await counter.call(.add(5)) == 5)
    await #expect(throws: CallError.self) { try await counter.call(.add(-1)) }
    // The restart is asynchronous: wait for the name to point at the new process.
    var restarted = runtime.server(named: "counter", as: Counter.self)
    while restarted == nil || restarted?.id == counter.id {
        await Task.yield()
        restarted = runtime.server(named: "counter", as: Counter.self)
    }
    #expect(try await #require(restarted).call(.read) == 0)
    _ = supervisor
}
