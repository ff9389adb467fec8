import Logging

/// A supervision decision, as written into crash reports under ``LogKey/decision``.
enum SupervisionDecision: String, Sendable {
    /// The child (and, per the strategy, its siblings) is started again.
    case restart
    /// The child stays down (its restart policy says so).
    case ignore
    /// The restart intensity is exceeded: the supervisor terminates its children and exits.
    case escalate
}

/// Writes supervisors' reports (child exits and the decision taken, start failures) to the
/// runtime's logger, with the keys of ``LogKey``. Never logs message payloads.
struct SupervisorReport {
    let logger: Logger
    let supervisor: String

    init(runtime: Runtime, supervisor: ProcessID, name: String?) {
        self.logger = runtime.logger
        self.supervisor = name.map { "\($0) \(supervisor)" } ?? "\(supervisor)"
    }

    /// A child ended and `decision` was taken. Abnormal exits are errors (crash reports);
    /// orderly ones are informational.
    func childExited(_ child: String, process: ProcessID, reason: ExitReason, decision: SupervisionDecision) {
        let metadata: Logger.Metadata = [
            LogKey.supervisor: "\(supervisor)",
            LogKey.child: "\(child)",
            LogKey.process: "\(process)",
            LogKey.reason: "\(reason)",
            LogKey.decision: "\(decision.rawValue)",
        ]
        if reason.isOrderly && decision == .ignore {
            // An orderly end that changes nothing (a closed connection's socket, a finished
            // temporary child): as OTP's reports, not worth a line at info, one per disconnect.
            logger.debug("child exited", metadata: metadata)
        } else if reason.isOrderly {
            logger.info("child exited", metadata: metadata)
        } else {
            logger.error("child crashed", metadata: metadata)
        }
    }

    /// A child's start function threw (the report shows the start function's own error).
    func startFailed(_ child: String, error: SupervisorError, decision: String) {
        let cause: any Error = error.underlying ?? error
        logger.error(
            "child failed to start",
            metadata: [
                LogKey.supervisor: "\(supervisor)",
                LogKey.child: "\(child)",
                LogKey.reason: "\(cause)",
                LogKey.decision: "\(decision)",
            ])
    }

    /// The supervisor gives up: too many restarts.
    func intensityExceeded(_ intensity: RestartIntensity) {
        logger.error(
            "restart intensity exceeded; shutting down",
            metadata: [
                LogKey.supervisor: "\(supervisor)",
                LogKey.decision: "\(SupervisionDecision.escalate.rawValue)",
                LogKey.reason: "more than \(intensity.maxRestarts) restarts in \(intensity.period)",
            ])
    }
}
