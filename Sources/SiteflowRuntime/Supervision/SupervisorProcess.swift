import Synchronization

/// The process behind a ``Supervisor``: holds the children in start order, links them, turns
/// their exits into restarts per strategy and intensity, and answers ``SupervisorRef`` requests.
///
/// It traps exits (spawned with ``SpawnOptions/trapExits``), so a child's exit arrives as a
/// ``Signal/exit(from:reason:)``. Handlers run one at a time: while the supervisor restarts or
/// terminates children, requests wait in its mailbox.
struct SupervisorProcess: AsyncBehavior {
    typealias Message = SupervisorMessage

    static var kind: String { "supervisor" }

    let strategy: SupervisorStrategy
    let clock: any SupervisorClock
    /// Its own supervisor (``SpawnOptions/parent``): an exit signal from it stops this supervisor.
    let parent: ProcessID?
    let name: String?
    /// The children to start on `initialize` (emptied afterwards).
    var initialChildren: [ChildSpec]
    var children = SupervisorChildren()
    var history: RestartHistory

    init(
        strategy: SupervisorStrategy, children: [ChildSpec], intensity: RestartIntensity,
        clock: any SupervisorClock, parent: ProcessID?, name: String?
    ) {
        self.strategy = strategy
        self.initialChildren = children
        self.history = RestartHistory(intensity: intensity)
        self.clock = clock
        self.parent = parent
        self.name = name
    }

    // MARK: Requests

    mutating func handle(_ message: SupervisorMessage, context: ProcessContext<SupervisorMessage>) async throws {
        switch message {
        case .initialize(let reply):
            await initialize(reply: reply, context: context)
        case .whichChildren(let reply):
            reply.reply(.success(children.infos))
        case .countChildren(let reply):
            reply.reply(.success(children.counts))
        case .startChild(let spec, let reply):
            guard !children.contains(spec.id) else {
                reply.reply(.failure(SupervisorError(.childAlreadyPresent, child: spec.id)))
                return
            }
            do {
                let process = try await spec.launch(under: context)
                children.append(spec)
                children.setProcess(process, for: spec.id)
                reply.reply(.success(process))
            } catch {
                report(context).startFailed(spec.id, error: error, decision: "not added")
                reply.reply(.failure(error))
            }
        case .terminateChild(let id, let reply):
            guard let child = children[id] else {
                reply.reply(.failure(SupervisorError(.childNotFound, child: id)))
                return
            }
            if let process = child.process {
                _ = await ChildTermination.terminate(
                    process, policy: child.spec.shutdown, supervisor: context.id, runtime: context.runtime)
                children.setProcess(nil, for: id)
            }
            if child.spec.restart.isTemporary { children.remove(id) }
            reply.reply(.success(()))
        case .restartChild(let id, let reply):
            guard let child = children[id] else {
                reply.reply(.failure(SupervisorError(.childNotFound, child: id)))
                return
            }
            guard child.process == nil else {
                reply.reply(.failure(SupervisorError(.childRunning, child: id)))
                return
            }
            do {
                let process = try await child.spec.launch(under: context)
                children.setProcess(process, for: id)
                reply.reply(.success(process))
            } catch {
                reply.reply(.failure(error))
            }
        case .deleteChild(let id, let reply):
            guard let child = children[id] else {
                reply.reply(.failure(SupervisorError(.childNotFound, child: id)))
                return
            }
            guard child.process == nil else {
                reply.reply(.failure(SupervisorError(.childRunning, child: id)))
                return
            }
            children.remove(id)
            reply.reply(.success(()))
        case .stop(let reason, let reply):
            await terminateAll(context: context)
            reply.reply(.success(()))
            context.stop(reason)
        case .retryRestart(let id):
            guard let child = children[id], child.process == nil else { return }
            guard history.recordRestart(at: clock.now()) else {
                await giveUp(context: context)
                return
            }
            await restart(id, context: context)
        }
    }

    /// Starts the initial children in order. If one fails, stops the started ones in reverse
    /// order, answers the error and exits with `shutdown(…)`.
    private mutating func initialize(reply: ReplyBox<Void>, context: ProcessContext<SupervisorMessage>) async {
        var seen = Set<String>()
        for spec in initialChildren where !seen.insert(spec.id).inserted {
            reply.reply(.failure(SupervisorError(.duplicateChildID, child: spec.id)))
            context.stop(.shutdownWith("duplicate child id \(spec.id)"))
            return
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
                reply.reply(.failure(error))
                context.stop(.shutdownWith("failed to start child \(spec.id)"))
                return
            }
        }
        reply.reply(.success(()))
    }

    // MARK: Signals

    mutating func handleSignal(_ signal: Signal, context: ProcessContext<SupervisorMessage>) async throws {
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
        _ id: String, process: ProcessID, reason: ExitReason, context: ProcessContext<SupervisorMessage>
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
        guard history.recordRestart(at: clock.now()) else {
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
    private mutating func restart(_ id: String, context: ProcessContext<SupervisorMessage>) async {
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
                context.pid.send(.retryRestart(childID: member))
                return
            }
        }
    }

    /// Too many restarts: terminate everything and exit with `shutdown`, so the parent decides.
    private mutating func giveUp(context: ProcessContext<SupervisorMessage>) async {
        report(context).intensityExceeded(history.intensity)
        await terminateAll(context: context)
        context.stop(.shutdown)
    }

    /// Terminates every running child in reverse start order, each per its shutdown policy;
    /// temporary children are removed.
    private mutating func terminateAll(context: ProcessContext<SupervisorMessage>) async {
        for child in children.list.reversed() {
            if let process = child.process {
                _ = await ChildTermination.terminate(
                    process, policy: child.spec.shutdown, supervisor: context.id, runtime: context.runtime)
                children.setProcess(nil, for: child.spec.id)
            }
            if child.spec.restart.isTemporary { children.remove(child.spec.id) }
        }
    }

    private func report(_ context: ProcessContext<SupervisorMessage>) -> SupervisorReport {
        SupervisorReport(runtime: context.runtime, supervisor: context.id, name: name)
    }
}
