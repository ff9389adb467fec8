import SiteflowRuntime
import SiteflowRuntimeTesting
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
}
