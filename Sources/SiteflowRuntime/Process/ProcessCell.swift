/// A process running a synchronous ``Behavior``: the whole receive loop is specialised for the
/// behaviour's type, so the handler is called directly, without dynamic dispatch.
final class ProcessCell<B: Behavior>: Mailbox<B.Message>, @unchecked Sendable {
    // Safe: `behavior` is touched only by the thread running the process (see ProcessCore).

    /// The behaviour's state; nil once the process has ended.
    var behavior: B?

    init(_ behavior: sending B, runtime: Runtime, scheduler: Scheduler, serial: UInt64, bound: MailboxBound?, startsRunning: Bool) {
        self.behavior = behavior
        super.init(runtime: runtime, scheduler: scheduler, serial: serial, bound: bound, startsRunning: startsRunning)
    }

    override var behaviorName: String { B.kind }
    override var stateSize: Int { MemoryLayout<B?>.size }

    override func run(budget: Int) -> RunOutcome {
        guard var state = behavior.take() else { return .idle }
        let context = ProcessContext<B.Message>(self)
        var handled = 0
        defer { recordHandled(handled) }
        while true {
            if hasSignals {
                if let reason = deliverSignals(to: &state, context: context) {
                    end(state: &state, reason: reason.reason, runsTerminate: reason.runsTerminate, context: context)
                    return .exited
                }
            }
            guard let message = takeMessage() else {
                if tryGoIdle() {
                    behavior = consume state
                    return .idle
                }
                continue
            }
            do {
                try state.handle(message, context: context)
            } catch {
                end(state: &state, reason: .error(error), runsTerminate: true, context: context)
                return .exited
            }
            handled &+= 1
            if stopRequested {
                end(state: &state, reason: extras.stopReason ?? .normal, runsTerminate: true, context: context)
                return .exited
            }
            if handled == budget {
                behavior = consume state
                return .again
            }
        }
    }

    /// Handles pending system signals; returns the exit reason if one of them ends the process.
    private func deliverSignals(to state: inout B, context: ProcessContext<B.Message>) -> (reason: ExitReason, runsTerminate: Bool)? {
        for signal in takeSignals() {
            switch signal {
            case .run(let body):
                body(self)
            case .exit(let sender, let reason):
                switch decide(exitFrom: sender, reason: reason) {
                case .ignore: continue
                case .die(let reason, let runsTerminate): return (reason, runsTerminate)
                case .deliver:
                    do { try state.handleSignal(.exit(from: sender, reason: reason), context: context) } catch {
                        return (.error(error), true)
                    }
                }
            case .down(let reference, let process, let reason):
                guard acceptDown(reference) else { continue }
                do { try state.handleSignal(.down(reference, process: process, reason: reason), context: context) } catch {
                    return (.error(error), true)
                }
            }
            if stopRequested { return (extras.stopReason ?? .normal, true) }
        }
        return nil
    }

    private func end(state: inout B, reason: ExitReason, runsTerminate: Bool, context: ProcessContext<B.Message>) {
        if runsTerminate { state.terminate(reason: reason, context: context) }
        behavior = nil
        finishExit(reason: reason, ownFault: runsTerminate)
    }
}
