import Foundation
import SiteflowStore
import Testing
import SiteflowRuntimeTesting

@Suite("Store: durable jobs")
struct JobStoreTests {
    private func job(_ name: String = "work", queue: String = "default", maxAttempts: Int = 3, runAt: Date? = nil, priority: Int = 0, unique: JobUniqueness? = nil) -> NewJob {
        NewJob(kind: name, args: "{}", queue: queue, maxAttempts: maxAttempts, runAt: runAt, priority: priority, unique: unique)
    }

    @Test("a claimed job is leased to its node; completing it finishes it", arguments: StoreBackend.available)
    func claimAndComplete(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let id = try #require(try await store.enqueue(job()).jobID)
        let now = clock.date()
        let claimed = try await store.claimJobs(queue: "default", limit: 5, node: "a", now: now, leaseUntil: now.addingTimeInterval(60))
        #expect(claimed.map(\.id) == [id])
        #expect(claimed.first?.state == .executing)
        #expect(claimed.first?.attempt == 1)
        #expect(claimed.first?.attemptedBy == "a")
        #expect(try await store.claimJobs(queue: "default", limit: 5, node: "b", now: now, leaseUntil: now.addingTimeInterval(60)).isEmpty)
        let lease = try #require(claimed.first?.lease)
        #expect(try await store.completeJob(lease, at: now))
        let record = try #require(try await store.job(id: id))
        #expect(record.state == .completed)
        #expect(record.finishedAt == now)
        #expect(try await store.completeJob(lease, at: now) == false)
        await store.close()
    }

    @Test("scheduled jobs wait for their time; due jobs come by priority then time; queues are separate", arguments: StoreBackend.available)
    func scheduling(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let now = clock.date()
        let later = try #require(try await store.enqueue(job("later", runAt: now.addingTimeInterval(300))).jobID)
        let low = try #require(try await store.enqueue(job("low", priority: 5)).jobID)
        let high = try #require(try await store.enqueue(job("high", priority: 0)).jobID)
        _ = try await store.enqueue(job("other", queue: "mail"))
        let first = try await store.claimJobs(queue: "default", limit: 10, node: "a", now: now, leaseUntil: now.addingTimeInterval(3600))
        #expect(first.map(\.id) == [high, low])
        clock.advance(by: .seconds(300))
        let second = try await store.claimJobs(queue: "default", limit: 10, node: "a", now: clock.date(), leaseUntil: clock.date().addingTimeInterval(60))
        #expect(second.map(\.id) == [later])
        await store.close()
    }

    @Test("a failed attempt records its error and is retried at the given time; the last one discards the job", arguments: StoreBackend.available)
    func failures(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let id = try #require(try await store.enqueue(job(maxAttempts: 2)).jobID)
        var now = clock.date()
        let first = try #require(try await store.claimJobs(queue: "default", limit: 1, node: "a", now: now, leaseUntil: now.addingTimeInterval(60)).first)
        #expect(try await store.failJob(first.lease, error: "smtp timeout", at: now, retryAt: now.addingTimeInterval(30)))
        var record = try #require(try await store.job(id: id))
        #expect(record.state == .available)
        #expect(record.runAt == now.addingTimeInterval(30))
        #expect(try await store.claimJobs(queue: "default", limit: 1, node: "a", now: now, leaseUntil: now.addingTimeInterval(60)).isEmpty)
        clock.advance(by: .seconds(30))
        now = clock.date()
        let second = try #require(try await store.claimJobs(queue: "default", limit: 1, node: "b", now: now, leaseUntil: now.addingTimeInterval(60)).first)
        #expect(second.attempt == 2)
        #expect(try await store.failJob(second.lease, error: "smtp refused", at: now, retryAt: nil))
        record = try #require(try await store.job(id: id))
        #expect(record.state == .discarded)
        #expect(record.errors.map(\.attempt) == [1, 2])
        #expect(record.errors.map(\.error) == ["smtp timeout", "smtp refused"])
        await store.close()
    }

    @Test("a job whose node stopped heartbeating is rescued and run again; the old node's result is ignored", arguments: StoreBackend.available)
    func leaseExpiry(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let id = try #require(try await store.enqueue(job(maxAttempts: 2)).jobID)
        let start = clock.date()
        let dead = try #require(try await store.claimJobs(queue: "default", limit: 1, node: "dead", now: start, leaseUntil: start.addingTimeInterval(60)).first)
        // A heartbeat extends the lease.
        clock.advance(by: .seconds(50))
        #expect(try await store.extendLeases([dead.lease], until: clock.date().addingTimeInterval(60)) == 1)
        clock.advance(by: .seconds(50))
        #expect(try await store.claimJobs(queue: "default", limit: 1, node: "alive", now: clock.date(), leaseUntil: clock.date().addingTimeInterval(60)).isEmpty)
        // Then the node dies: no more heartbeats, the lease expires.
        clock.advance(by: .seconds(11))
        let rescued = try #require(try await store.claimJobs(queue: "default", limit: 1, node: "alive", now: clock.date(), leaseUntil: clock.date().addingTimeInterval(60)).first)
        #expect(rescued.id == id)
        #expect(rescued.attempt == 2)
        #expect(try await store.completeJob(dead.lease, at: clock.date()) == false)
        #expect(try await store.extendLeases([dead.lease], until: clock.date().addingTimeInterval(60)) == 0)
        #expect(try await store.completeJob(rescued.lease, at: clock.date()))
        let record = try #require(try await store.job(id: id))
        #expect(record.state == .completed)
        #expect(record.errors.count == 1)
        #expect(record.errors.first?.error.contains("lease expired") == true)
        await store.close()
    }

    @Test("an expired job with no attempts left is discarded, not run again", arguments: StoreBackend.available)
    func leaseExpiryLastAttempt(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let id = try #require(try await store.enqueue(job(maxAttempts: 1)).jobID)
        let start = clock.date()
        _ = try await store.claimJobs(queue: "default", limit: 1, node: "dead", now: start, leaseUntil: start.addingTimeInterval(10))
        clock.advance(by: .seconds(11))
        #expect(try await store.claimJobs(queue: "default", limit: 1, node: "alive", now: clock.date(), leaseUntil: clock.date().addingTimeInterval(10)).isEmpty)
        #expect(try await store.job(id: id)?.state == .discarded)
        await store.close()
    }

    @Test("concurrent claimers never claim the same job", arguments: StoreBackend.available)
    func concurrentClaims(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        try await store.transaction { tx in
            for _ in 0..<100 { tx.enqueue(job()) }
        }
        let now = clock.date()
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for node in 0..<8 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch = try await store.claimJobs(queue: "default", limit: 7, node: "n\(node)", now: now, leaseUntil: now.addingTimeInterval(60))
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.id)
                    }
                }
            }
            var all: [Int64] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claimed.count == 100)
        #expect(Set(claimed).count == 100)
        await store.close()
    }

    @Test("a unique job is inserted once per key within its period", arguments: StoreBackend.available)
    func uniqueJobs(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let unique = JobUniqueness(key: "digest:42", period: .seconds(60))
        let first = try await store.enqueue(job(unique: unique))
        guard case .inserted(let id) = first else { Issue.record("expected an insert, got \(first)"); return }
        #expect(try await store.enqueue(job(unique: unique)) == .duplicate(id))
        clock.advance(by: .seconds(59))
        #expect(try await store.enqueue(job(unique: unique)) == .duplicate(id))
        clock.advance(by: .seconds(1))
        let later = try await store.enqueue(job(unique: unique))
        guard case .inserted(let second) = later else { Issue.record("expected an insert, got \(later)"); return }
        #expect(second != id)
        // Concurrent inserts of one key store one job.
        let key = JobUniqueness(key: "race", period: nil)
        let outcomes = try await withThrowingTaskGroup(of: JobInsertion.self) { group in
            for _ in 0..<10 { group.addTask { try await store.enqueue(job(unique: key)) } }
            var outcomes: [JobInsertion] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.filter { if case .inserted = $0 { return true } else { return false } }.count == 1)
        #expect(Set(outcomes.compactMap(\.jobID)).count == 1)
        await store.close()
    }

    @Test("invalid jobs are refused with a typed error", arguments: StoreBackend.available)
    func invalidJobs(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        for bad in [job(maxAttempts: 0), job(""), job(queue: ""), job(unique: JobUniqueness(key: "", period: nil))] {
            let error = await #expect(throws: StoreError.self) { try await store.enqueue(bad) }
            #expect(error?.code == .invalidJob)
        }
        #expect(try await store.jobs(queue: nil).isEmpty)
        await store.close()
    }

    @Test("pruning deletes finished jobs older than the cutoff, keeps the rest", arguments: StoreBackend.available)
    func pruning(backend: StoreBackend) async throws {
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let done = try #require(try await store.enqueue(job()).jobID)
        let failed = try #require(try await store.enqueue(job(maxAttempts: 1)).jobID)
        let waiting = try #require(try await store.enqueue(job(runAt: clock.date().addingTimeInterval(3600))).jobID)
        let now = clock.date()
        let claimed = try await store.claimJobs(queue: "default", limit: 2, node: "a", now: now, leaseUntil: now.addingTimeInterval(60))
        for record in claimed {
            if record.id == done { _ = try await store.completeJob(record.lease, at: now) }
            if record.id == failed { _ = try await store.failJob(record.lease, error: "boom", at: now, retryAt: nil) }
        }
        #expect(try await store.pruneJobs(finishedBefore: now) == 0)
        #expect(try await store.pruneJobs(finishedBefore: now.addingTimeInterval(1)) == 2)
        #expect(try await store.jobs(queue: nil).map(\.id) == [waiting])
        await store.close()
    }
}
