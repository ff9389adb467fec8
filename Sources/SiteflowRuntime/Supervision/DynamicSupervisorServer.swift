import Synchronization

/// The server behind a ``DynamicSupervisor``: children keyed by process, so starting,
/// terminating and handling the exit of one child costs O(1) whatever their number.
struct DynamicSupervisorServer: AsyncGenServer {
    typealias Call = DynamicSupervisorRequest
    typealias Reply = SupervisorReply
    typealias Info = DynamicSupervisorNotice

    static var kind: String { "supervisor" }

    let maxChildren: Int?
    let clock: any RuntimeClock
    let parent: ProcessID?
    let name: String?
    var history: RestartHistory
    /// Running children.
    var children: [ProcessID: ChildSpec] = [:]
    /// Running children of type supervisor (kept so counting is O(1)).
    var runningSupervisors = 0
    /// Children whose restart failed and waits for a retry (their spec travels in the message).
    var awaitingRetry = 0
    var awaitingRetrySupervisors = 0

    init(maxChildren: Int?, intensity: RestartIntensity, clock: any RuntimeClock, parent: ProcessID?, name: String?) {
        self.maxChildren = maxChildren.map { max(0, $0) }
        self.history = RestartHistory(intensity: intensity)
        self.clock = clock
        self.parent = parent
        self.name = name
    }

    // MARK: Requests

    mutating func handleCall(
        _ request: DynamicSupervisorRequest, from caller: Caller<SupervisorReply>,
        context: ServerContext<DynamicSupervisorServer>
    ) async throws -> CallResult<SupervisorReply> {
        switch request {
        case .startChild(let spec):
            if let maxChildren, children.count + awaitingRetry >= maxChildren {
                return .reply(.failure(SupervisorError(.maxChildren, child: spec.id)))
            }
            do {
                let process = try await spec.launch(under: context)
                add(process, spec)
                return .reply(.success(.process(process)))
            } catch {
                return .reply(.failure(error))
            }
        case .terminateChild(let process):
            guard let spec = remove(process) else {
                return .reply(.failure(SupervisorError(.childNotFound)))
            }
            _ = await ChildTermination.terminate(
                process, policy: spec.shutdown, supervisor: context.id, runtime: context.runtime)
            return .reply(.success(.done))
        case .whichChildren:
            return .reply(
                .success(
                    .children(
                        children.map { ChildInfo(id: $0.value.id, process: $0.key, type: $0.value.type, restart: $0.value.restart) }
                    )))
        case .countChildren:
            let supervisors = runningSupervisors + awaitingRetrySupervisors
            let specs = children.count + awaitingRetry
            return .reply(
                .success(
                    .counts(ChildCounts(specs: specs, active: children.count, supervisors: supervisors, workers: specs - supervisors))))
        case .stop(let reason):
            await terminateAll(context: context)
            return .stop(reason, reply: .success(.done))
        }
    }

    mutating func handleInfo(_ message: DynamicSupervisorNotice, context: ServerContext<DynamicSupervisorServer>) async throws {
        switch message {
        case .retryRestart(let spec):
            awaitingRetry -= 1
            if spec.type == .supervisor { awaitingRetrySupervisors -= 1 }
            guard history.recordRestart(at: .nanoseconds(clock.now())) else {
                await giveUp(context: context)
                return
            }
            await restart(spec, context: context)
        }
    }

    // MARK: Signals

    mutating func handleSignal(_ signal: Signal, context: ServerContext<DynamicSupervisorServer>) async throws {
        guard case .exit(let sender, var reason) = signal else { return }
        if sender == parent || sender == context.id {
            await terminateAll(context: context)
            context.stop(reason)
            return
        }
        guard let spec = remove(sender) else { return }  // not a child: ignored, as in OTP
        if case .noproc = reason, let recorded = sender.core.recordedExitReason { reason = recorded }
        guard spec.restart.restarts(after: reason) else {
            report(context).childExited(spec.id, process: sender, reason: reason, decision: .ignore)
            return
        }
        guard history.recordRestart(at: .nanoseconds(clock.now())) else {
            report(context).childExited(spec.id, process: sender, reason: reason, decision: .escalate)
            await giveUp(context: context)
            return
        }
        report(context).childExited(spec.id, process: sender, reason: reason, decision: .restart)
        await restart(spec, context: context)
    }

    // MARK: Bookkeeping

    private mutating func add(_ process: ProcessID, _ spec: ChildSpec) {
        children[process] = spec
        if spec.type == .supervisor { runningSupervisors += 1 }
    }

    private mutating func remove(_ process: ProcessID) -> ChildSpec? {
        guard let spec = children.removeValue(forKey: process) else { return nil }
        if spec.type == .supervisor { runningSupervisors -= 1 }
        return spec
    }

    private mutating func restart(_ spec: ChildSpec, context: ServerContext<DynamicSupervisorServer>) async {
        do {
            let process = try await spec.launch(under: context)
            add(process, spec)
            context.runtime.statistics.restartCounter.wrappingAdd(1, ordering: .relaxed)
        } catch {
            report(context).startFailed(spec.id, error: error, decision: "retry restart")
            awaitingRetry += 1
            if spec.type == .supervisor { awaitingRetrySupervisors += 1 }
            context.pid.send(.info(.retryRestart(spec)))
        }
    }

    private mutating func giveUp(context: ServerContext<DynamicSupervisorServer>) async {
        report(context).intensityExceeded(history.intensity)
        await terminateAll(context: context)
        context.stop(.shutdown)
    }

    /// Terminates every child at once (order is not significant): sends each its first
    /// shutdown signal, kills those with a timeout policy still alive when their timeout has
    /// passed, and waits for all exits.
    private mutating func terminateAll(context: ServerContext<DynamicSupervisorServer>) async {
        let all = children
        children = [:]
        runningSupervisors = 0
        guard !all.isEmpty else { return }
        let latch = CountdownLatch(count: all.count)
        var killAfter: [Duration: [ProcessID]] = [:]
        for (process, spec) in all {
            context.unlink(process)
            context.runtime.onExit(of: process) { _, _ in latch.countDown() }
            let plan = spec.shutdown.plan
            context.exit(process, reason: plan.firstSignal)
            if let after = plan.killAfter { killAfter[after, default: []].append(process) }
        }
        let timers = context.runtime.timers
        let started = timers.clock.now()
        for (after, processes) in killAfter.sorted(by: { $0.key < $1.key }) {
            let left = max(.zero, after - .nanoseconds(timers.clock.now() &- started))
            if await latch.wait(within: left, timers: timers) { return }
            for process in processes where process.isAlive {
                context.exit(process, reason: .kill)
            }
        }
        _ = await latch.wait(within: nil, timers: timers)
    }

    private func report(_ context: ServerContext<DynamicSupervisorServer>) -> SupervisorReport {
        SupervisorReport(runtime: context.runtime, supervisor: context.id, name: name)
    }
}

/// What a ``DynamicSupervisor`` sends itself.
enum DynamicSupervisorNotice: Sendable {
    /// A restart whose start failed is tried again (the child's spec travels in the message).
    case retryRestart(ChildSpec)
}
