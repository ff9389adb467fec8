import Foundation
import Histogram
import NIOCore
import NIOPosix
import SiteflowRuntime
import Synchronization

/// `siteflow loadtest`: opens many lean WebSocket clients, joins them to one topic, pushes
/// `new_msg` at an aggregate rate, and reports latency percentiles and delivery counts.
///
/// With ``LoadTestConfiguration/processes`` above 1 the clients are split over child processes
/// (`<executable> loadtest … --json`) whose results are merged, so that no process needs more
/// than its share of open files.
public struct LoadTest: Sendable {
    /// What to run.
    public var configuration: LoadTestConfiguration
    /// Where progress lines go (one per second) — stdout in the command.
    public var progress: @Sendable (String) -> Void
    /// Awaited once every client has joined, before sending starts; a child process uses it to
    /// wait for its parent, so that all children send during the same window.
    public var startSignal: (@Sendable () async throws -> Void)?

    /// Creates a load test.
    public init(configuration: LoadTestConfiguration, progress: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.progress = progress
    }

    /// Runs the test to the end and returns its result.
    public func run() async throws -> LoadTestResult {
        if configuration.processes > 1 {
            return try await runChildren()
        }
        if let recovery = configuration.recovery {
            return try await runRecoveryHere(recovery)
        }
        return try await runHere()
    }

    // MARK: One process

    private func runHere() async throws -> LoadTestResult {
        let configuration = self.configuration
        // A child runs its parent's share of the cores (`threads` is handed down resolved).
        let threads = LoadTestConfiguration.threadsPerProcess(
            threads: configuration.threads, processes: configuration.processes, cores: System.coreCount)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let listeners = try startListeners(threads: threads)
        var drivers: [ObjectIdentifier: LoadTestDriver] = [:]
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() {
            drivers[ObjectIdentifier(loop)] = LoadTestDriver(eventLoop: loop)
            loops.append(loop)
        }
        let statistics = LoadTestStatisticsGroup(loops: loops, others: listeners?.statistics ?? [])
        let addresses = configuration.sourceAddressList
        let headerPairs = configuration.headerPairs
        var clients: [LoadTestClient] = []
        clients.reserveCapacity(configuration.clients)
        let started = ContinuousClock.now
        var lastReport = started

        // Connect in waves of `connectConcurrency`.
        var next = 0
        while next < configuration.clients {
            let end = min(configuration.clients, next + max(1, configuration.connectConcurrency))
            var attempts: [EventLoopFuture<Void>] = []
            for local in next..<end {
                let loop = group.next()
                guard let driver = drivers[ObjectIdentifier(loop)], let statistics = statistics.statistics(for: loop) else { continue }
                let client = LoadTestClient(
                    index: configuration.firstClientIndex + local,
                    topic: configuration.topic(forClient: configuration.firstClientIndex + local),
                    statistics: statistics
                ) { driver.add($0) }
                clients.append(client)
                let attempt = WebSocketClient.connect(
                    host: configuration.host,
                    port: configuration.port,
                    target: configuration.target,
                    headers: headerPairs,
                    sourceAddress: addresses[local % addresses.count],
                    on: loop,
                    delegate: client
                ).map { connection in
                    statistics.update { $0.connected += 1 }
                    client.start(connection)
                }.flatMapErrorThrowing { _ in
                    statistics.update { $0.connectFailures += 1 }
                }
                attempts.append(attempt)
            }
            _ = try? await EventLoopFuture.whenAllComplete(attempts, on: group.next()).get()
            next = end
            if ContinuousClock.now - lastReport >= .seconds(1) {
                lastReport = ContinuousClock.now
                report(statistics, since: started, phase: "connecting")
            }
        }

        // Wait (at most 30 s) for every connected client's join to be answered.
        let joinDeadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < joinDeadline {
            let result = statistics.result
            if result.joined + result.joinErrors >= result.connected, listeners?.settled ?? true { break }
            try await Task.sleep(for: .milliseconds(50))
            if ContinuousClock.now - lastReport >= .seconds(1) {
                lastReport = ContinuousClock.now
                report(statistics, since: started, phase: "joining")
            }
        }
        report(statistics, since: started, phase: "joined")

        if let startSignal { try await startSignal() }

        // Send for `duration`, reporting every second.
        let loopCount = Double(max(1, drivers.count))
        let sendingStarted = ContinuousClock.now
        let sendingEnds = sendingStarted + configuration.duration
        // Children interleave their pushes (child k of n starts k/rate later, all stop together),
        // so that two processes' broadcasts do not go out at the same instant.
        if configuration.sendOffset > .zero, configuration.sendOffset < configuration.duration {
            try await Task.sleep(for: configuration.sendOffset)
        }
        for driver in drivers.values { driver.start(rate: configuration.rate / loopCount) }
        while ContinuousClock.now < sendingEnds {
            try await Task.sleep(until: min(sendingEnds, ContinuousClock.now + .seconds(1)), clock: .continuous)
            report(statistics, since: sendingStarted, phase: "sending")
        }
        for driver in drivers.values { _ = try? await driver.stopSending().get() }
        let sendingSeconds = Double((ContinuousClock.now - sendingStarted).components.seconds)
            + Double((ContinuousClock.now - sendingStarted).components.attoseconds) / 1e18

        // Let the last broadcasts arrive: this process's own pushes back to their senders, and
        // (other processes' pushes are unknown here) until nothing has arrived for a while, so
        // that no process closes its clients while another's last broadcast is still fanning out.
        let drainEnds = ContinuousClock.now + configuration.drainTime
        var lastReceived = -1
        var quietSince = ContinuousClock.now
        while ContinuousClock.now < drainEnds {
            let result = statistics.result
            if result.received != lastReceived {
                lastReceived = result.received
                quietSince = ContinuousClock.now
            }
            // With one room every joined client receives every push (a child process only knows
            // its own pushes, so this is a lower bound there).
            let everyoneReceived = configuration.rooms > 1 || result.received >= result.sent * result.joined
            let quiet = ContinuousClock.now - quietSince >= Self.quietPeriod
            if result.delivered >= result.sent, everyoneReceived, quiet { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        for driver in drivers.values { _ = try? await driver.close().get() }
        listeners?.stop()
        try? await Task.sleep(for: .milliseconds(200))
        try? await group.shutdownGracefully()
        withExtendedLifetime(clients) {}

        var result = statistics.result
        result.sendingSeconds = sendingSeconds
        return result
    }

    #if os(Linux)
    private func startListeners(threads: Int) throws -> EpollListeners? {
        guard configuration.listeners > 0 else { return nil }
        return try EpollListeners(
            configuration: configuration, count: configuration.listeners, firstIndex: configuration.firstListenerIndex, threads: threads)
    }
    #else
    private func startListeners(threads: Int) throws -> Never? {
        guard configuration.listeners == 0 else { throw LoadTestError(description: "--listeners needs Linux (epoll)") }
        return nil
    }
    #endif

    /// `duration` in seconds, for a child's command line.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// How long no broadcast may arrive before a process takes the fan-out as finished.
    static let quietPeriod = Duration.milliseconds(500)

    private func report(_ statistics: LoadTestStatisticsGroup, since start: ContinuousClock.Instant, phase: String) {
        let snapshot = statistics.takeProgress()
        let result = snapshot.result
        let seconds = (ContinuousClock.now - start).components.seconds
        var line = "[\(phase) \(seconds)s] connected \(result.connected) joined \(result.joined) failed \(result.connectFailures)"
            + " sent \(result.sent) delivered \(result.delivered) received \(result.received)"
        if snapshot.interval.totalCount > 0 {
            let p50 = Double(snapshot.interval.valueAtPercentile(50)) / 1000
            let p99 = Double(snapshot.interval.valueAtPercentile(99)) / 1000
            line += " | last second p50 \(p50) ms p99 \(p99) ms"
        }
        progress(line)
    }

    // MARK: Child processes

    private func runChildren() async throws -> LoadTestResult {
        let executable = OwnProcess.executablePath() ?? CommandLine.arguments[0]
        let count = configuration.processes
        let addresses = configuration.sourceAddressList.count
        var children: [(process: Process, output: Pipe, input: Pipe)] = []
        var first = configuration.firstClientIndex
        var firstListener = configuration.firstListenerIndex
        let threads = LoadTestConfiguration.threadsPerProcess(threads: configuration.threads, processes: count, cores: System.coreCount)
        let durationSeconds = Double(configuration.duration.components.seconds) + Double(configuration.duration.components.attoseconds) / 1e18
        var recoveryArguments: [String] = []
        if let recovery = configuration.recovery {
            recoveryArguments = [
                "--recovery", "--run-id", recovery.runID, "--settle-time", String(Self.seconds(recovery.settleTime)),
                "--skip-history-audit", "--connect-concurrency", String(configuration.connectConcurrency),
            ]
        }
        for child in 0..<count {
            let share = configuration.clients / count + (child < configuration.clients % count ? 1 : 0)
            let listenerShare = configuration.listeners / count + (child < configuration.listeners % count ? 1 : 0)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "loadtest",
                "--url", "ws://\(configuration.host):\(configuration.port)\(configuration.target)",
                "--clients", String(share),
                "--topic", configuration.topic,
                "--rooms", String(configuration.rooms),
                "--rate", String(configuration.rate / Double(count)),
                "--duration", String(durationSeconds),
                "--processes", "1",
                "--threads", String(threads),
                "--send-offset", String(configuration.rate > 0 ? Double(child) / configuration.rate : 0),
                "--source-addresses", String(addresses),
                "--first-client-index", String(first),
                "--listeners", String(listenerShare),
                "--first-listener-index", String(firstListener),
                "--json",
            ] + configuration.headers.flatMap { ["--header", $0] } + recoveryArguments
            let output = Pipe()
            let input = Pipe()
            process.standardOutput = output
            process.standardInput = input
            try process.run()
            children.append((process, output, input))
            first += share
            firstListener += listenerShare
        }
        // Each child prints `ready` once its clients have joined and then waits for a line on its
        // standard input: all start sending together, so none closes its clients while another's
        // pushes still fan out. A child that ends early counts as ready.
        let readiness = ChildReadiness(count: children.count)
        // Blocking reads, so on threads of their own (not the concurrency pool's few threads,
        // which the parent needs in order to hear that all children are ready).
        let readers = children.map { child in
            ChildOutputReader(handle: child.output.fileHandleForReading, marker: Data((LoadTest.readyLine + "\n").utf8)) {
                readiness.childIsReady()
            }
        }
        await readiness.waitForAll()
        for child in children {
            try? child.input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
        }
        // Recovery mode: the parent triggers the disruption, for all children at once.
        let disruptionRecord = Mutex<(instant: UInt64?, error: String?)>((nil, nil))
        var disruption: Task<Void, Never>?
        if let recovery = configuration.recovery, recovery.disruption != .none {
            let configuration = self.configuration
            disruption = Task { [progress] in
                await Self.disrupt(recovery, host: configuration.host, port: configuration.port, progress: progress) { instant, error in
                    disruptionRecord.withLock { $0 = (instant, error) }
                }
            }
        }
        var merged = LoadTestResult()
        for (index, child) in children.enumerated() {
            let output = await readers[index].output()
            child.process.waitUntilExit()
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").filter { $0 != LoadTest.readyLine }
            guard let last = lines.last, let json = last.data(using: .utf8) else {
                throw LoadTestError(description: "child \(index) printed no result (exit status \(child.process.terminationStatus))")
            }
            let result = try JSONDecoder().decode(LoadTestResult.self, from: json)
            for line in lines.dropLast() { progress("[child \(index)] \(line)") }
            merged.merge(result)
        }
        await disruption?.value
        if let recovery = configuration.recovery, var recoveryResult = merged.recovery {
            let record = disruptionRecord.withLock { $0 }
            if recovery.disruption != .none {
                recoveryResult.disruption = recovery.disruption
                recoveryResult.disruptedAt = record.instant
                recoveryResult.disruptionError = record.error
            }
            recoveryResult.mergeEvents(clients: configuration.clients)
            if recovery.auditsHistory { recoveryResult.audit = await auditHistory(recoveryResult, recovery: recovery) }
            merged.recovery = recoveryResult
        }
        return merged
    }
}

extension LoadTest {
    /// What a child prints on its standard output once its clients have joined (see
    /// ``startSignal``); the parent answers with a line on the child's standard input.
    public static let readyLine = "ready"
}

/// Reads a child's standard output to its end on a thread of its own, calling `onMarker` once
/// when `marker` has appeared (or at the end, if it never did).
final class ChildOutputReader: Sendable {
    private let result = Mutex<(data: Data?, waiter: CheckedContinuation<Data, Never>?)>((nil, nil))

    init(handle: FileHandle, marker: Data, onMarker: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            var output = Data()
            var signalled = false
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                output.append(chunk)
                if !signalled, output.range(of: marker) != nil {
                    signalled = true
                    onMarker()
                }
            }
            if !signalled { onMarker() }
            let finished = output
            let waiter = self.result.withLock { state -> CheckedContinuation<Data, Never>? in
                state.data = finished
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: finished)
        }
        thread.start()
    }

    /// Everything the child printed, once it has closed its output.
    func output() async -> Data {
        await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            let data = result.withLock { state -> Data? in
                if let data = state.data { return data }
                state.waiter = continuation
                return nil
            }
            if let data { continuation.resume(returning: data) }
        }
    }
}

/// Counts the children that are ready to send, and wakes the parent when all are.
final class ChildReadiness: Sendable {
    private struct State {
        var remaining: Int
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(remaining: count))
    }

    /// One more child is ready (or gone).
    func childIsReady() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.remaining -= 1
            guard state.remaining <= 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once every child is ready.
    func waitForAll() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.remaining <= 0 { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// A load test that could not run to the end.
public struct LoadTestError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}
