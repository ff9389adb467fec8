import Synchronization

/// The server behind a ``Supervisor``: holds the children in start order, links them, turns
/// their exits into restarts per strategy and intensity, and answers ``SupervisorRef`` calls.
///
/// It traps exits (spawned with ``SpawnOptions/trapExits``), so a child's exit arrives as a
/// ``Signal/exit(from:reason:)``. Handlers run one at a time: while the supervisor restarts or
/// terminates children, requests wait in its mailbox.
struct SupervisorServer: AsyncGenServer {
    typealias Call = SupervisorRequest
    typealias Reply = SupervisorReply
    typealias Info = SupervisorNotice

    static var kind: String { "supervisor" }

    let strategy: SupervisorStrategy
    let clock: any RuntimeClock
    /// Its own supervisor (``SpawnOptions/parent``): an exit signal from it stops this supervisor.
    let parent: ProcessID?
    let name: String?
    /// The children to start on `initialize` (emptied afterwards).
    var initialChildren: [ChildSpec]
    var children = SupervisorChildren()
    var history: RestartHistory

    init(
        strategy: SupervisorStrategy, children: [ChildSpec], intensity: RestartIntensity,
        clock: any RuntimeClock, parent: ProcessID?, name: String?
    ) {
        self.strategy = strategy
        self.initialChildren = children
        self.history = RestartHistory(intensity: intensity)
        self.clock = clock
        self.parent = parent
        self.name = name
    }

    // MARK: Requests

    mutating func handleCall(
        _ request: SupervisorRequest, from caller: Caller<SupervisorReply>, context: ServerContext<SupervisorServer>
    ) async throws -> CallResult<SupervisorReply> {
        switch request {
        case .startInitialChildren:
            if let failure = await startInitialChildren(context: context) {
                return .stop(failure.reason, reply: .failure(failure.error))
            }
            return .reply(.success(.done))
        case .whichChildren:
            return .reply(.success(.children(children.infos)))
        case .countChildren:
            return .reply(.success(.counts(children.counts)))
        case .startChild(let spec):
            guard !children.contains(spec.id) else {
                return .reply(.failure(SupervisorError(.childAlreadyPresent, child: spec.id)))
            }
            do {
                let process = try await spec.launch(under: context)
                children.append(spec)
                children.setProcess(process, for: spec.id)
                return .reply(.success(.process(process)))
            } catch {
                report(context).startFailed(spec.id, error: error, decision: "not added")
                return .reply(.failure(error))
            }
        case .terminateChild(let id):
            guard let child = children[id] else {
                return .reply(.failure(SupervisorError(.childNotFound, child: id)))
            }
            if let process = child.process {
                _ = await ChildTermination.terminate(
                    process, policy: child.spec.shutdown, supervisor: context.id, runtime: context.runtime)
                children.setProcess(nil, for: id)
            }
            if child.spec.restart.isTemporary { children.remove(id) }
            return .reply(.success(.done))
        case .restartChild(let id):
            guard let child = children[id] else {
                return .reply(.failure(SupervisorError(.childNotFound, child: id)))
            }
            guard child.process == nil else {
                return .reply(.failure(SupervisorError(.childRunning, child: id)))
            }
            do {
                let process = try await child.spec.launch(under: context)
                children.setProcess(process, for: id)
                return .reply(.success(.process(process)))
            } catch {
                return .reply(.failure(error))
            }
        case .deleteChild(let id):
            guard let child = children[id] else {
                return .reply(.failure(SupervisorError(.childNotFound, child: id)))
            }
            guard child.process == nil else {
                return .reply(.failure(SupervisorError(.childRunning, child: id)))
            }
            children.remove(id)
            return .reply(.success(.done))
        case .stop(let reason):
            await terminateAll(context: context)
            return .stop(reason, reply: .success(.done))
        }
    }

    mutating func handleInfo(_ message: SupervisorNotice, context: ServerContext<SupervisorServer>) async throws {
        switch message {
        case .retryRestart(let id):
            guard let child = children[id], child.process == nil else { return }
            guard history.recordRestart(at: .nanoseconds(clock.now())) else {
                await giveUp(context: context)
                return
            }
            await restart(id, context: context)
        }
    }

    /// Starts the initial children in order. If one fails, stops the started ones in reverse
    /// order and returns the error and the `shutdown(…)` reason to exit with.
    private mutating func startInitialChildren(
        context: ServerContext<SupervisorServer>
    ) async -> (error: SupervisorError, reason: ExitReason)? {
        var seen = Set<String>()
        for spec in initialChildren where !seen.insert(spec.id).inserted {
            return (SupervisorError(.duplicateChildID, child: spec.id), .shutdownWith("duplicate child id \(spec.id)"))
        }
        let specs = initialChildren
        initialChildren = []
        for spec in specs {
            do {
                let process = try await spec.launch(under: context)
                children.append(spec)
                children.setProcess(process, for: spec.id)
            } catch {
                report(context).startFailed(spec.id, error: error, decision: "abort supervisor start")
                await terminateAll(context: context)
                return (error, .shutdownWith("failed to start child \(spec.id)"))
            }
        }
        return nil
    }

    // MARK: Signals

    mutating func handleSignal(_ signal: Signal, context: ServerContext<SupervisorServer>) async throws {
        guard case .exit(let sender, let reason) = signal else { return }
        if sender == parent || sender == context.id {
            // From its own supervisor (or `Runtime.exit` from outside): stop in order.
            await terminateAll(context: context)
            context.stop(reason)
            return
        }
        // An exit from a linked process that is not a current child is ignored, as in OTP.
        guard let id = children.childID(of: sender) else { return }
        await childExited(id, process: sender, reason: reason, context: context)
    }

    private mutating func childExited(
        _ id: String, process: ProcessID, reason: ExitReason, context: ServerContext<SupervisorServer>
    ) async {
        guard let child = children[id] else { return }
        var reason = reason
        // Linking a child that had already ended yields `noproc`; prefer its real reason.
        if case .noproc = reason, let recorded = process.core.recordedExitReason { reason = recorded }
        children.setProcess(nil, for: id)
        guard child.spec.restart.restarts(after: reason) else {
            report(context).childExited(id, process: process, reason: reason, decision: .ignore)
            if child.spec.restart.isTemporary { children.remove(id) }
            return
        }
        guard history.recordRestart(at: .nanoseconds(clock.now())) else {
            report(context).childExited(id, process: process, reason: reason, decision: .escalate)
            await giveUp(context: context)
            return
        }
        report(context).childExited(id, process: process, reason: reason, decision: .restart)
        await restart(id, context: context)
    }

    // MARK: Restarting and terminating

    /// Restarts `id` per the strategy: terminates the running members of its group in reverse
    /// start order, then starts the group in start order. A start failure schedules a retry.
    private mutating func restart(_ id: String, context: ServerContext<SupervisorServer>) async {
        let group = children.restartGroup(of: id, strategy: strategy)
        for member in group.reversed() {
            guard let child = children[member], let process = child.process else { continue }
            _ = await ChildTermination.terminate(
                process, policy: child.spec.shutdown, supervisor: context.id, runtime: context.runtime)
            children.setProcess(nil, for: member)
            if child.spec.restart.isTemporary { children.remove(member) }
        }
        for member in group {
            guard let child = children[member], child.process == nil else { continue }
            do {
                let process = try await child.spec.launch(under: context)
                children.setProcess(process, for: member)
                context.runtime.statistics.restartCounter.wrappingAdd(1, ordering: .relaxed)
            } catch {
                report(context).startFailed(member, error: error, decision: "retry restart")
                context.pid.send(.info(.retryRestart(childID: member)))
                return
            }
        }
    }

    /// Too many restarts: terminate everything and exit with `shutdown`, so the parent decides.
    private mutating func giveUp(context: ServerContext<SupervisorServer>) async {
        report(context).intensityExceeded(history.intensity)
        await terminateAll(context: context)
        context.stop(.shutdown)
    }

    /// Terminates every running child in reverse start order, each per its shutdown policy;
    /// temporary children are removed.
    private mutating func terminateAll(context: ServerContext<SupervisorServer>) async {
        for child in children.list.reversed() {
            if let process = child.process {
                _ = await ChildTermination.terminate(
                    process, policy: child.spec.shutdown, supervisor: context.id, runtime: context.runtime)
                children.setProcess(nil, for: child.spec.id)
            }
            if child.spec.restart.isTemporary { children.remove(child.spec.id) }
        }
    }

    private func report(_ context: ServerContext<SupervisorServer>) -> SupervisorReport {
        SupervisorReport(runtime: context.runtime, supervisor: context.id, name: name)
    }
}

/// What a ``Supervisor`` sends itself.
enum SupervisorNotice: Sendable {
    /// A restart whose start failed is tried again.
    case retryRestart(childID: String)
}
