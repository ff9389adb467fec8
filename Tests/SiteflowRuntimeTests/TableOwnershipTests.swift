import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Tables are deleted with their owner process")
struct TableOwnershipTests {
    @Test("a table owned by a process is closed when the process ends, and readers get a typed error")
    func closedWithOwner() async throws {
        try await withRuntime { runtime in
            struct Owner: Behavior {
                let probe: PID<String>
                var table: SharedTable<String, Int>? = nil
                mutating func handle(_ message: String, context: ProcessContext<String>) throws {
                    switch message {
                    case "create":
                        let table = context.own(SharedTable<String, Int>())
                        try table.insert(1, for: "a")
                        self.table = table
                        probe.send("created")
                    default:
                        throw TestFailure(message: "owner crashed")
                    }
                }
            }
            let probe = try TestProbe<String>(runtime: runtime)
            let owner = try runtime.spawn(Owner(probe: probe.pid))
            let shared = SharedTable<String, Int>()
            runtime.own(shared, by: owner.id)
            owner.send("create")
            #expect(try await probe.next() == "created")
            try shared.insert(2, for: "b")
            #expect(try shared.lookup("b") == 2)
            owner.send("crash")
            _ = await runtime.waitForExit(owner.id)
            #expect(shared.isClosed)
            #expect(throws: TableError.closed) { try shared.lookup("b") }
        }
    }

    @Test("owning by an already dead process closes at once")
    func deadOwner() async throws {
        try await withRuntime { runtime in
            let owner = try runtime.spawn(Worker(probe: nil))
            owner.send("stop")
            _ = await runtime.waitForExit(owner.id)
            let cache = runtime.own(TTLCache<String, Int>(maxEntries: 10), by: owner.id)
            #expect(cache.isClosed)
        }
    }
}
