import SiteflowRuntime
import SiteflowRuntimeTesting
import Dispatch
import Synchronization
import Testing

/// Introspection counts after spawns from several threads and exits (the process table is
/// sharded by spawning thread and reuses the slots of ended processes).
@Suite("Process table: spawns from many threads, exits, slot reuse")
struct ProcessTableTests {
    @Test("processes spawned from several threads are all listed; ended ones leave; freed slots are reused")
    func spawnFromThreadsAndExit() async throws {
        try await withRuntime { runtime in
            let perTask = 1_000
            let spawned = try await withThrowingTaskGroup(of: [PID<Int>].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var pids: [PID<Int>] = []
                        for _ in 0..<perTask { pids.append(try runtime.spawn(Idle())) }
                        return pids
                    }
                }
                var all: [PID<Int>] = []
                for try await pids in group { all += pids }
                return all
            }
            #expect(runtime.processCount == 4 * perTask)
            #expect(Set(runtime.processes()) == Set(spawned.map(\.id)))
            #expect(runtime.statistics.spawned == 4 * perTask)

            // End every other process and check the table forgets exactly those.
            let ending = stride(from: 0, to: spawned.count, by: 2).map { spawned[$0].id }
            for id in ending { runtime.exit(id, reason: .kill) }
            for id in ending { _ = await runtime.waitForExit(id) }
            var waited = 0
            while runtime.processCount != spawned.count - ending.count && waited < 1_000 {
                try await Task.sleep(for: .milliseconds(5))
                waited += 1
            }
            let survivors = Set(spawned.map(\.id)).subtracting(ending)
            #expect(runtime.processCount == survivors.count)
            #expect(Set(runtime.processes()) == survivors)

            // New processes take the freed slots and are listed too.
            var fresh: [ProcessID] = []
            for _ in 0..<ending.count { fresh.append(try runtime.spawn(Idle()).id) }
            #expect(runtime.processCount == spawned.count)
            #expect(Set(runtime.processes()) == survivors.union(fresh))
            #expect(runtime.statistics.spawned == 4 * perTask + ending.count)
        }
    }

    @Test("a spawn refused because its name is taken is not counted as spawned and leaves no process")
    func nameTakenIsNotSpawned() async throws {
        try await withRuntime { runtime in
            _ = try runtime.spawn(Idle(), options: SpawnOptions(name: "only"))
            #expect(throws: SpawnError.self) { try runtime.spawn(Idle(), options: SpawnOptions(name: "only")) }
            #expect(runtime.statistics.spawned == 1)
            #expect(runtime.processCount == 1)
            #expect(runtime.processes().count == 1)
        }
    }

    @Test("serials are non-zero and unique across spawning threads, and a named process has its serial once it can be looked up")
    func serialsAreUnique() async throws {
        try await withRuntime { runtime in
            // More spawns per thread than one serial block, so that shards take several blocks.
            let perTask = 2_500
            let serials = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for _ in 0..<4 {
                    group.addTask { try (0..<perTask).map { _ in try runtime.spawn(Idle()).id.serial } }
                }
                var all: [UInt64] = []
                for try await batch in group { all += batch }
                return all
            }
            #expect(!serials.contains(0))
            #expect(Set(serials).count == serials.count)
            let named = try runtime.spawn(Idle(), options: SpawnOptions(name: "numbered"))
            #expect(named.id.serial != 0)
            #expect(runtime.whereis("numbered", as: Int.self)?.id.serial == named.id.serial)
            #expect(!serials.contains(named.id.serial))
            #expect(runtime.statistics.spawned == serials.count + 1)
        }
    }

    @Test("a snapshot reports the process's pool and the messages queued behind a running handler")
    func snapshotReportsPoolAndQueue() async throws {
        try await withRuntime { runtime in
            let entered = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let blocker = try runtime.spawn(Blocker(entered: entered, release: release), options: SpawnOptions(blocking: true))
            let ordinary = try runtime.spawn(Idle())
            blocker.send(0)
            entered.wait()
            for number in 1...3 { blocker.send(number) }
            let busy = try #require(runtime.snapshot(of: blocker.id))
            #expect(busy.isBlocking)
            #expect(busy.mailboxLength == 3)
            #expect(runtime.snapshot(of: ordinary.id)?.isBlocking == false)
            for _ in 0..<4 { release.signal() }
            for _ in 1...3 { entered.wait() }
        }
    }
}

/// Signals `entered` on each message, then blocks until `release` is signalled.
private struct Blocker: Behavior {
    let entered: DispatchSemaphore
    let release: DispatchSemaphore
    func handle(_ message: Int, context: ProcessContext<Int>) throws {
        entered.signal()
        release.wait()
    }
}
