/// A process running an ``AsyncBehavior``: each wake-up starts one task, on the process's own
/// scheduler, that drains up to a budget of messages, awaiting each handler before the next.
final class AsyncProcessCell<B: AsyncBehavior>: Mailbox<B.Message>, @unchecked Sendable {
    // Safe: `behavior` is touched only by the one task draining the process (a new task starts
    // only after the previous one rescheduled or idled the process).

    var behavior: B?

    init(_ behavior: sending B, runtime: borrowing Runtime, blocking: Bool, bound: MailboxBound?, startsRunning: Bool) {
        self.behavior = behavior
        super.init(runtime: runtime, blocking: blocking, bound: bound, startsRunning: startsRunning)
    }

    override var behaviorName: String { B.kind }
    override var stateSize: Int { MemoryLayout<B?>.size }

    override func run(budget: Int) -> RunOutcome {
        Task(executorPreference: scheduler) {
            await self.drain(budget: budget)
        }
        return .detached
    }

    private func drain(budget: Int) async {
        guard var state = behavior.take() else { return }
        let context = ProcessContext<B.Message>(self)
        var handled = 0
        defer { recordHandled(handled) }
        while true {
            if hasSignals {
                if let reason = await deliverSignals(to: &state, context: context) {
                    await end(state: &state, reason: reason.reason, runsTerminate: reason.runsTerminate, context: context)
                    return
                }
            }
            guard let message = takeMessage() else {
                // Hand the state back before going idle: once idle, a sender may schedule a new
                // run at once, and that run must find the state (else the wake-up is lost).
                behavior = consume state
                if tryGoIdle() { return }
                guard let resumed = behavior.take() else { return }
                state = resumed
                continue
            }
            do {
                try await state.handle(message, context: context)
            } catch {
                await end(state: &state, reason: .error(error), runsTerminate: true, context: context)
                return
            }
            handled &+= 1
            if stopRequested {
                await end(state: &state, reason: extras.stopReason ?? .normal, runsTerminate: true, context: context)
                return
            }
            if handled == budget {
                behavior = consume state
                scheduleSelf()
                return
            }
        }
    }

    private func deliverSignals(to state: inout B, context: ProcessContext<B.Message>) async -> (reason: ExitReason, runsTerminate: Bool)? {
        for signal in takeSignals() {
            switch signal {
            case .run(let body):
                body(self)
            case .exit(let sender, let reason):
                switch decide(exitFrom: sender, reason: reason) {
                case .ignore: continue
                case .die(let reason, let runsTerminate): return (reason, runsTerminate)
                case .deliver:
                    do { try await state.handleSignal(.exit(from: sender, reason: reason), context: context) } catch {
                        return (.error(error), true)
                    }
                }
            case .down(let reference, let process, let reason):
                guard acceptDown(reference) else { continue }
                do { try await state.handleSignal(.down(reference, process: process, reason: reason), context: context) } catch {
                    return (.error(error), true)
                }
            }
            if stopRequested { return (extras.stopReason ?? .normal, true) }
        }
        return nil
    }

    private func end(state: inout B, reason: ExitReason, runsTerminate: Bool, context: ProcessContext<B.Message>) async {
        if runsTerminate { await state.terminate(reason: reason, context: context) }
        behavior = nil
        finishExit(reason: reason, ownFault: runsTerminate)
        runtime.processTable.remove(self)
    }
}
