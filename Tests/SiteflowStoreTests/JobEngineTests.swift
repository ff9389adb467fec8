import Foundation
import SiteflowRuntime
import SiteflowStore
import Testing
import SiteflowRuntimeTesting

struct Greeting: Codable, Sendable, Hashable {
    var name: String
}

struct WorkerFailure: Error, CustomStringConvertible {
    let description: String
}

@Suite("JobEngine")
struct JobEngineTests {
    let greet = JobKind<Greeting>("greet")

    private func configuration(node: String, queues: [JobQueue] = [JobQueue("default")], cron: [CronSchedule] = []) -> JobEngineConfiguration {
        JobEngineConfiguration(
            node: node, queues: queues, leaseDuration: .seconds(30), heartbeatInterval: .seconds(10),
            backoff: RetryBackoff(base: .seconds(10), maximum: .seconds(600), jitter: 0.5), cron: cron, pruneAfter: nil,
            random: { 0.5 })
    }

    @Test("a registered worker runs each job once with its decoded arguments; the job completes", arguments: StoreBackend.available)
    func runsJobs(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await backend.makeStore()
        let seen = Recorder<Greeting>()
        var workers = JobWorkers()
        workers.register(greet) { args, _ in seen.record(args) }
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: configuration(node: "a"))
        for name in ["ann", "bob", "cy"] { _ = try await store.enqueue(try greet.job(Greeting(name: name))) }
        #expect(try await engine.tick().count == 3)
        await engine.waitUntilIdle()
        #expect(Set(seen.values.map(\.name)) == ["ann", "bob", "cy"])
        #expect(try await store.jobs(queue: nil).allSatisfy { $0.state == .completed && $0.attempt == 1 })
        #expect(try await engine.tick().isEmpty)
        await engine.stop()
        await store.close()
    }

    @Test("a throwing worker is a failed attempt: retried with exponential backoff, then succeeds", arguments: StoreBackend.available)
    func retries(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        var workers = JobWorkers()
        workers.register(greet) { _, job in
            if job.attempt < 3 { throw WorkerFailure(description: "attempt \(job.attempt) failed") }
        }
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: configuration(node: "a"))
        let id = try #require(try await store.enqueue(try greet.job(Greeting(name: "ann"), maxAttempts: 5)).jobID)
        #expect(try await engine.tick().count == 1)
        await engine.waitUntilIdle()
        var record = try #require(try await store.job(id: id))
        #expect(record.state == .available)
        #expect(record.runAt == clock.date().addingTimeInterval(10))
        #expect(try await engine.tick().isEmpty)
        clock.advance(by: .seconds(10))
        #expect(try await engine.tick().count == 1)
        await engine.waitUntilIdle()
        record = try #require(try await store.job(id: id))
        #expect(record.runAt == clock.date().addingTimeInterval(20))
        clock.advance(by: .seconds(20))
        #expect(try await engine.tick().count == 1)
        await engine.waitUntilIdle()
        record = try #require(try await store.job(id: id))
        #expect(record.state == .completed)
        #expect(record.attempt == 3)
        #expect(record.errors.map(\.error) == ["attempt 1 failed", "attempt 2 failed"])
        await engine.stop()
        await store.close()
    }

    @Test("a job that fails every attempt is discarded with its error history", arguments: StoreBackend.available)
    func discards(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        var workers = JobWorkers()
        workers.register(greet) { _, _ in throw WorkerFailure(description: "always") }
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: configuration(node: "a"))
        let id = try #require(try await store.enqueue(try greet.job(Greeting(name: "ann"), maxAttempts: 2)).jobID)
        _ = try await engine.tick()
        await engine.waitUntilIdle()
        clock.advance(by: .seconds(10))
        _ = try await engine.tick()
        await engine.waitUntilIdle()
        let record = try #require(try await store.job(id: id))
        #expect(record.state == .discarded)
        #expect(record.errors.map(\.attempt) == [1, 2])
        #expect(record.errors.allSatisfy { $0.error == "always" })
        await engine.stop()
        await store.close()
    }

    @Test("undecodable arguments and unknown kinds fail the attempt with a clear error", arguments: StoreBackend.available)
    func badJobs(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await backend.makeStore()
        var workers = JobWorkers()
        workers.register(greet) { _, _ in }
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: configuration(node: "a"))
        let garbled = try #require(try await store.enqueue(NewJob(kind: "greet", args: "{\"nom\": 1}", maxAttempts: 1)).jobID)
        let unknown = try #require(try await store.enqueue(NewJob(kind: "nobody", args: "{}", maxAttempts: 1)).jobID)
        _ = try await engine.tick()
        await engine.waitUntilIdle()
        let garbledRecord = try #require(try await store.job(id: garbled))
        #expect(garbledRecord.state == .discarded)
        #expect(garbledRecord.errors.first?.error.contains("do not decode") == true)
        let unknownRecord = try #require(try await store.job(id: unknown))
        #expect(unknownRecord.state == .discarded)
        #expect(unknownRecord.errors.first?.error.contains("no worker is registered for job kind 'nobody'") == true)
        await engine.stop()
        await store.close()
    }

    @Test("a queue runs at most its concurrency of jobs at once on a node", arguments: StoreBackend.available)
    func concurrencyLimit(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await backend.makeStore()
        let gate = Gate()
        let started = Recorder<String>()
        var workers = JobWorkers()
        workers.register(greet) { args, _ in
            started.record(args.name)
            await gate.wait()
        }
        let engine = JobEngine(
            store: store, runtime: runtime, workers: workers,
            configuration: configuration(node: "a", queues: [JobQueue("slow", concurrency: 2), JobQueue("default", concurrency: 1)]))
        for index in 0..<5 { _ = try await store.enqueue(try greet.job(Greeting(name: "s\(index)"), queue: "slow")) }
        _ = try await store.enqueue(try greet.job(Greeting(name: "d"), queue: "default"))
        #expect(try await engine.tick().count == 3)
        await started.waitFor(count: 3)
        #expect(engine.runningCount(queue: "slow") == 2)
        #expect(engine.runningCount(queue: "default") == 1)
        #expect(try await engine.tick().isEmpty)
        gate.open()
        await engine.waitUntilIdle()
        #expect(try await engine.tick().count == 2)
        await engine.waitUntilIdle()
        #expect(try await engine.tick().count == 1)
        await engine.waitUntilIdle()
        #expect(try await store.jobs(queue: nil).allSatisfy { $0.state == .completed })
        await engine.stop()
        await store.close()
    }

    @Test("heartbeats keep a long job's lease; when its node stops, another node runs it again", arguments: StoreBackend.available)
    func nodeDeath(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let stuck = Gate()
        let startedOnA = Recorder<Int>()
        var workersA = JobWorkers()
        workersA.register(greet) { _, job in
            startedOnA.record(job.attempt)
            await stuck.wait()
        }
        let ranOnB = Recorder<Int>()
        var workersB = JobWorkers()
        workersB.register(greet) { _, job in ranOnB.record(job.attempt) }
        let nodeA = JobEngine(store: store, runtime: runtime, workers: workersA, configuration: configuration(node: "a"))
        let nodeB = JobEngine(store: store, runtime: runtime, workers: workersB, configuration: configuration(node: "b"))
        let id = try #require(try await store.enqueue(try greet.job(Greeting(name: "ann"))).jobID)
        #expect(try await nodeA.tick().count == 1)
        await startedOnA.waitFor(count: 1)
        // Node A heartbeats: 20 s later its lease runs to 50 s, so at 40 s node B finds nothing.
        clock.advance(by: .seconds(20))
        _ = try await nodeA.tick()
        clock.advance(by: .seconds(20))
        #expect(try await nodeB.tick().isEmpty)
        // Node A stops heartbeating (it died): once the lease expires node B runs the job.
        clock.advance(by: .seconds(11))
        #expect(try await nodeB.tick().map(\.id) == [id])
        await nodeB.waitUntilIdle()
        #expect(ranOnB.values == [2])
        // Node A's late result does not overwrite node B's.
        stuck.open()
        await nodeA.waitUntilIdle()
        let record = try #require(try await store.job(id: id))
        #expect(record.state == .completed)
        #expect(record.attempt == 2)
        #expect(record.attemptedBy == "b")
        await nodeA.stop()
        await nodeB.stop()
        await store.close()
    }

    @Test("a drain's deadline stops a job still running then: the attempt is recorded as failed and the job is retried; a job done in time completes", arguments: StoreBackend.available)
    func drainDeadline(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let clock = ManualClock()
        let store = try await backend.makeStore(clock: clock)
        let started = Recorder<String>()
        let quickDone = Gate()
        var workers = JobWorkers()
        workers.register(greet) { args, _ in
            started.record(args.name)
            if args.name == "quick" {
                await quickDone.wait()
            } else {
                // Awaits for ever (until cancelled): only the deadline ends it.
                try await Task.sleep(for: .seconds(3600))
            }
        }
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: configuration(node: "a"))
        let stuck = try #require(try await store.enqueue(try greet.job(Greeting(name: "stuck"), maxAttempts: 3)).jobID)
        let quick = try #require(try await store.enqueue(try greet.job(Greeting(name: "quick"))).jobID)
        #expect(try await engine.tick().count == 2)
        await started.waitFor(count: 2)
        quickDone.open()
        await engine.stop(deadline: .seconds(3))
        #expect(engine.runningCount() == 0)
        let quickRecord = try #require(try await store.job(id: quick))
        #expect(quickRecord.state == .completed)
        let stuckRecord = try #require(try await store.job(id: stuck))
        #expect(stuckRecord.state == .available)
        #expect(stuckRecord.attempt == 1)
        #expect(stuckRecord.errors.map(\.error) == ["stopped at the node's drain deadline"])
        #expect(stuckRecord.runAt == clock.date().addingTimeInterval(10))
        await store.close()
    }

    @Test("a cron schedule evaluated by two nodes inserts one job per fire time", arguments: StoreBackend.available)
    func cron(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let clock = ManualClock()  // 2027-01-15 08:00 UTC
        let store = try await backend.makeStore(clock: clock)
        let schedule = CronSchedule(name: "digest", expression: try CronExpression(parsing: "*/5 * * * *"), job: try greet.job(Greeting(name: "digest"), queue: "cron"))
        let nodeA = JobEngine(store: store, runtime: runtime, workers: JobWorkers(), configuration: configuration(node: "a", queues: [], cron: [schedule]))
        let nodeB = JobEngine(store: store, runtime: runtime, workers: JobWorkers(), configuration: configuration(node: "b", queues: [], cron: [schedule]))
        clock.advance(by: .seconds(15 * 60 + 30))
        _ = try await nodeA.tick()
        _ = try await nodeB.tick()
        let jobs = try await store.jobs(queue: "cron")
        #expect(jobs.map(\.runAt) == [5, 10, 15].map { Date(timeIntervalSince1970: 1_800_000_000 + Double($0 * 60)) })
        clock.advance(by: .seconds(5 * 60))
        _ = try await nodeB.tick()
        _ = try await nodeA.tick()
        #expect(try await store.jobs(queue: "cron").count == 4)
        await nodeA.stop()
        await nodeB.stop()
        await store.close()
    }

    @Test("a job enqueued in the same transaction as a message runs once it commits", arguments: StoreBackend.available)
    func transactionalEnqueue(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await backend.makeStore()
        let seen = Recorder<String>()
        var workers = JobWorkers()
        workers.register(greet) { args, _ in seen.record(args.name) }
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: configuration(node: "a"))
        _ = try await store.transaction { tx in
            tx.insertMessage(NewMessage(room: "room:a", nickname: "ann", body: "hi all"))
            tx.enqueue(try greet.job(Greeting(name: "ann")))
        }
        _ = try await engine.tick()
        await engine.waitUntilIdle()
        #expect(seen.values == ["ann"])
        await engine.stop()
        await store.close()
    }

    @Test("start() polls from a job_ticker process on the runtime's timers: a job enqueued later runs without tick(), and stop() ends the ticker", arguments: StoreBackend.available)
    func tickerProcess(backend: StoreBackend) async throws {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let store = try await backend.makeStore()
        let seen = Recorder<String>()
        var workers = JobWorkers()
        workers.register(greet) { args, _ in seen.record(args.name) }
        var settings = configuration(node: "a")
        settings.pollInterval = .milliseconds(10)
        let engine = JobEngine(store: store, runtime: runtime, workers: workers, configuration: settings)
        try await engine.start()
        let tickers = runtime.snapshots().filter { $0.kind == "job_ticker" }
        #expect(tickers.count == 1)
        _ = try await store.enqueue(try greet.job(Greeting(name: "late")))
        await seen.waitFor(count: 1)
        #expect(seen.values == ["late"])
        await engine.stop()
        if let ticker = tickers.first {
            #expect(await runtime.waitForExit(ticker.id) == .normal)
        }
        await store.close()
    }
}
