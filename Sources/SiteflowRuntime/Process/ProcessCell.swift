/// A process running a synchronous ``Behavior``: the whole receive loop is specialised for the
/// behaviour's type, so the handler is called directly, without dynamic dispatch.
@usableFromInline
final class ProcessCell<B: Behavior>: Mailbox<B.Message>, @unchecked Sendable {
    // Safe: `behavior` is touched only by the thread running the process (see ProcessCore).

    /// The behaviour's state; nil once the process has ended.
    @usableFromInline @exclusivity(unchecked) var behavior: B?
    /// The receive loop specialised for `B`, made where the spawn knew the concrete type (ADR 0001).
    @usableFromInline let receiveLoop: ReceiveLoop

    /// `@inlinable` so that spawning specialises it: the state is initialised directly, not
    /// through value witnesses (ADR 0001). `behavior` is consumed into the field, so its
    /// references are moved, not copied and released. `loop` is ``runBehaviorLoop(_:process:budget:)``
    /// for `B`, created by an `@inlinable` spawn so that it is compiled for the concrete type.
    @inlinable
    init(_ behavior: consuming sending B, runtime: borrowing Runtime, blocking: Bool, bound: MailboxBound?, startsRunning: Bool, loop: @escaping ReceiveLoop) {
        self.behavior = consume behavior
        self.receiveLoop = loop
        super.init(runtime: runtime, blocking: blocking, bound: bound, startsRunning: startsRunning)
    }

    override var behaviorName: String { B.kind }
    override var stateSize: Int { MemoryLayout<B?>.size }

    override func run(budget: Int) -> RunOutcome {
        RunOutcome(rawValue: receiveLoop(self, budget)) ?? .idle
    }

    /// Handles pending system signals; returns the exit reason if one of them ends the process.
    @usableFromInline
    func deliverSignals(to state: inout B, context: ProcessContext<B.Message>) -> (reason: ExitReason, runsTerminate: Bool)? {
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

    @usableFromInline
    func end(state: inout B, reason: ExitReason, runsTerminate: Bool, context: ProcessContext<B.Message>) {
        if runsTerminate { state.terminate(reason: reason, context: context) }
        behavior = nil
        finishExit(reason: reason, ownFault: runsTerminate)
    }
}

/// A receive loop compiled for one behaviour type: runs a process for up to `budget` messages
/// and returns its ``RunOutcome``'s raw value.
@usableFromInline
typealias ReceiveLoop = (ProcessCore, Int) -> Int

/// The receive loop of a synchronous behaviour: signals first, then up to `budget` messages.
/// `@inlinable` so that it is specialised wherever a concrete behaviour type is known.
@inlinable
func runBehaviorLoop<B: Behavior>(_ type: B.Type, process: ProcessCore, budget: Int) -> Int {
    let cell = unsafeDowncast(process, to: ProcessCell<B>.self)
    guard var state = cell.behavior.take() else { return RunOutcome.idle.rawValue }
    let context = ProcessContext<B.Message>(cell)
    var handled = 0
    defer { cell.recordHandled(handled) }
    while true {
        if cell.hasSignals {
            if let reason = cell.deliverSignals(to: &state, context: context) {
                cell.end(state: &state, reason: reason.reason, runsTerminate: reason.runsTerminate, context: context)
                return RunOutcome.exited.rawValue
            }
        }
        guard let message = cell.takeMessage() else {
            // Hand the state back before going idle: once idle, a sender may schedule a new run
            // on another worker at once, and that run must find the state.
            cell.behavior = consume state
            if cell.tryGoIdle() { return RunOutcome.idle.rawValue }
            guard let resumed = cell.behavior.take() else { return RunOutcome.idle.rawValue }
            state = resumed
            continue
        }
        do {
            try state.handle(message, context: context)
        } catch {
            cell.end(state: &state, reason: .error(error), runsTerminate: true, context: context)
            return RunOutcome.exited.rawValue
        }
        handled &+= 1
        if cell.stopRequested {
            cell.end(state: &state, reason: cell.extras.stopReason ?? .normal, runsTerminate: true, context: context)
            return RunOutcome.exited.rawValue
        }
        if handled == budget {
            cell.behavior = consume state
            return RunOutcome.again.rawValue
        }
    }
}
