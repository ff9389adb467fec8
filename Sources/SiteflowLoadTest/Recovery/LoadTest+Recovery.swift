import Foundation
import NIOCore
import NIOPosix
import SiteflowRuntime

extension LoadTest {
    /// The recovery mode in one process: connect and join every client, watch for disconnect
    /// events from then on, make keyed messages for ``LoadTestConfiguration/duration`` (and
    /// trigger the disruption, if this process is the whole load test), wait for everything to
    /// settle, and read the rooms' history.
    func runRecoveryHere(_ recovery: RecoveryConfiguration) async throws -> LoadTestResult {
        let configuration = self.configuration
        let threads = LoadTestConfiguration.threadsPerProcess(
            threads: configuration.threads, processes: configuration.processes, cores: System.coreCount)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let recorder = RecoveryRecorder(clients: configuration.clients)
        var drivers: [ObjectIdentifier: RecoveryDriver] = [:]
        for loop in group.makeIterator() { drivers[ObjectIdentifier(loop)] = RecoveryDriver(eventLoop: loop) }
        let addresses = configuration.sourceAddressList
        let headerPairs = configuration.headerPairs
        var clients: [RecoveryClient] = []
        clients.reserveCapacity(configuration.clients)
        for local in 0..<configuration.clients {
            let loop = group.next()
            let index = configuration.firstClientIndex + local
            let endpoint = RecoveryClient.Endpoint(
                host: configuration.host, port: configuration.port, target: configuration.target,
                headers: headerPairs, sourceAddress: addresses[local % addresses.count])
            clients.append(RecoveryClient(
                index: index, topic: configuration.topic(forClient: index), nickname: recovery.nickname(client: index),
                runID: recovery.runID, endpoint: endpoint, eventLoop: loop, recorder: recorder))
        }
        var added: [EventLoopFuture<Void>] = []
        for client in clients {
            guard let driver = drivers[ObjectIdentifier(client.eventLoop)] else { continue }
            added.append(client.eventLoop.submit { driver.add(client) })
        }
        for driver in drivers.values { added.append(driver.eventLoop.submit { driver.startSweeping() }) }
        for future in added { try await future.get() }

        let started = ContinuousClock.now
        var lastReport = started
        // Connect in waves of `connectConcurrency`; a client that fails retries on phoenix.js's schedule.
        var next = 0
        while next < clients.count {
            let end = min(clients.count, next + max(1, configuration.connectConcurrency))
            let attempts = clients[next..<end].map { client in client.eventLoop.flatSubmit { client.connect() } }
            _ = try? await EventLoopFuture.whenAllComplete(attempts, on: group.next()).get()
            next = end
            if ContinuousClock.now - lastReport >= .seconds(1) {
                lastReport = ContinuousClock.now
                reportRecovery(recorder, since: started, phase: "connecting")
            }
        }
        let joinDeadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < joinDeadline, recorder.progress.joined < clients.count {
            try await Task.sleep(for: .milliseconds(50))
            if ContinuousClock.now - lastReport >= .seconds(1) {
                lastReport = ContinuousClock.now
                reportRecovery(recorder, since: started, phase: "joining")
            }
        }
        reportRecovery(recorder, since: started, phase: "joined")

        if let startSignal { try await startSignal() }

        let sendingStarted = ContinuousClock.now
        recorder.watch(sendingStartedAt: NIODeadline.now().uptimeNanoseconds)
        let disruption: Task<Void, Never>? = configuration.processes == 1 && recovery.disruption != .none
            ? Task { [progress] in
                await Self.disrupt(recovery, host: configuration.host, port: configuration.port, progress: progress) { instant, error in
                    recorder.disrupted(recovery.disruption, at: instant, error: error)
                }
            } : nil
        let sendingEnds = sendingStarted + configuration.duration
        if configuration.sendOffset > .zero, configuration.sendOffset < configuration.duration {
            try await Task.sleep(for: configuration.sendOffset)
        }
        let loopCount = Double(max(1, drivers.count))
        for driver in drivers.values { driver.start(rate: configuration.rate / loopCount) }
        while ContinuousClock.now < sendingEnds {
            try await Task.sleep(until: min(sendingEnds, ContinuousClock.now + .seconds(1)), clock: .continuous)
            reportRecovery(recorder, since: sendingStarted, phase: "sending")
        }
        for driver in drivers.values { _ = try? await driver.stopSending().get() }
        await disruption?.value
        let sendingSeconds = Double((ContinuousClock.now - sendingStarted).components.seconds)

        // Settle: every client joined again and every message acknowledged or refused.
        let settleEnds = ContinuousClock.now + recovery.settleTime
        while ContinuousClock.now < settleEnds {
            let progress = recorder.progress
            if progress.joined >= clients.count, progress.pending == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
            if ContinuousClock.now - lastReport >= .seconds(1) {
                lastReport = ContinuousClock.now
                reportRecovery(recorder, since: sendingStarted, phase: "settling")
            }
        }
        let finished = recorder.finish()
        for driver in drivers.values { _ = try? await driver.close().get() }
        try? await Task.sleep(for: .milliseconds(200))
        try? await group.shutdownGracefully()
        withExtendedLifetime(clients) {}

        var recoveryResult = finished.result
        if recovery.auditsHistory {
            recoveryResult.mergeEvents(clients: configuration.clients)
            recoveryResult.audit = await auditHistory(recoveryResult, recovery: recovery)
        }
        var result = LoadTestResult()
        result.connected = finished.connected
        result.connectFailures = finished.connectFailures
        result.joined = recoveryResult.joinedAtEnd
        result.sent = recoveryResult.sends
        result.sendingSeconds = sendingSeconds
        result.recovery = recoveryResult
        return result
    }

    /// Waits ``RecoveryConfiguration/disruptAfter``, triggers the disruption and reports when
    /// (or why not) through `record`.
    static func disrupt(
        _ recovery: RecoveryConfiguration, host: String, port: Int, progress: @escaping @Sendable (String) -> Void,
        record: @Sendable (UInt64?, String?) -> Void
    ) async {
        try? await Task.sleep(for: recovery.disruptAfter)
        let trigger = DisruptionTrigger(host: host, port: port, configuration: recovery)
        let instant = NIODeadline.now().uptimeNanoseconds
        do {
            let line = try await Task.detached { try trigger.trigger() }.value
            record(instant, nil)
            progress("[disruption] \(line)")
        } catch {
            record(nil, "\(error)")
            progress("[disruption] failed: \(error)")
        }
    }

    /// Reads every room's history (one reader per room, a few rooms at a time) and compares it
    /// with the acknowledged ids.
    func auditHistory(_ result: RecoveryResult, recovery: RecoveryConfiguration) async -> HistoryAudit {
        let configuration = self.configuration
        let topics = (0..<configuration.rooms).map { configuration.topic(forClient: $0) }
        let progress = self.progress
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        var audit = HistoryAudit()
        await withTaskGroup(of: HistoryAudit.self) { tasks in
            var nextRoom = 0
            func addReader() {
                let room = nextRoom
                nextRoom += 1
                let topic = topics[room]
                let acknowledged = result.acknowledgedIDs[topic] ?? []
                tasks.addTask {
                    do {
                        let history = try await HistoryReader.read(
                            configuration: configuration, topic: topic, nickname: "ltaudit\(recovery.runID)-\(room)",
                            runID: recovery.runID, on: group)
                        return HistoryAudit.room(acknowledged: acknowledged, history: history)
                    } catch {
                        progress("[history] \(topic): \(error)")
                        return HistoryAudit.unreadRoom(topic, acknowledged: acknowledged)
                    }
                }
            }
            while nextRoom < min(8, topics.count) { addReader() }
            for await roomAudit in tasks {
                audit.add(roomAudit)
                if nextRoom < topics.count { addReader() }
            }
        }
        progress("[history] \(audit.roomsRead) rooms read, \(audit.messagesRead) messages of this run")
        return audit
    }

    private func reportRecovery(_ recorder: RecoveryRecorder, since start: ContinuousClock.Instant, phase: String) {
        let snapshot = recorder.progress
        let seconds = (ContinuousClock.now - start).components.seconds
        var line = "[\(phase) \(seconds)s] joined \(snapshot.joined)/\(configuration.clients) down \(snapshot.down)"
            + " messages \(snapshot.result.messages) acknowledged \(snapshot.result.acknowledged) pending \(snapshot.pending)"
            + " resends \(snapshot.result.resends) failed \(snapshot.result.failedForGoodCount)"
        if let p99 = recorder.takeIntervalP99() {
            line += " | last second p99 push → ack \(Double(p99 / 100) / 10) ms"
        }
        progress(line)
    }
}
