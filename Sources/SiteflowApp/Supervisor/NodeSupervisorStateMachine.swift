/// The decisions of `siteflow serve`'s supervisor process, as a value state machine: each event
/// (a node became ready, crashed, exited; an operator asked to stop or reload) returns the
/// actions to take. It does no I/O and reads no clock, so every rule is tested without processes.
///
/// Rules: a node that dies by a signal or a non-zero exit is replaced at once (at its crash notice,
/// before it has even exited), within ``NodeRestartIntensity``; past it the supervisor stops every node
/// and exits 1. A node that exits 0 by itself is not replaced. A reload starts a new node beside
/// the serving one and drains the old one only when the new one is ready; a new node that fails
/// before it is ready abandons the reload and the old one keeps serving. A stop drains every node
/// and exits 0 when all have exited; a second stop kills them.
public struct NodeSupervisorStateMachine: Sendable {
    /// A node's number: 1 for the first, one more for each node started after it.
    public typealias Generation = Int

    /// What the supervisor must do.
    public enum Action: Sendable, Equatable {
        /// Start a new node OS process on the shared listening socket.
        case startNode(Generation)
        /// Ask a node to drain (SIGTERM): stop accepting, send clients away, finish, exit 0.
        case drainNode(Generation)
        /// Kill a node at once (SIGKILL).
        case killNode(Generation)
        /// Kill a crashed node after `grace` unless it has exited (it may be writing its backtrace).
        case killNodeAfter(Generation, grace: Duration)
        /// A node died abnormally: write its crash report (the status, and what it printed).
        case reportCrash(Generation, NodeExitStatus)
        /// Something an operator should read in the log.
        case note(String)
        /// Exit the supervisor with this code; `reason` is printed.
        case exit(code: Int32, reason: String)
    }

    private enum Phase: Sendable, Equatable {
        case starting(isReload: Bool)
        case serving
        case crashed
        case draining
    }

    private var intensity: NodeRestartIntensity
    private let crashGrace: Duration
    private var nodes: [Generation: Phase] = [:]
    private var lastGeneration: Generation = 0
    private var everReady = false
    private var stopping = false
    private var exitCode: Int32 = 0
    private var exitReason = ""
    private var finished = false

    /// A machine that allows `intensity` restarts and gives a crashed node `crashGrace` to finish
    /// its backtrace before it is killed.
    public init(intensity: NodeRestartIntensity, crashGrace: Duration = .seconds(10)) {
        self.intensity = intensity
        self.crashGrace = crashGrace
    }

    /// The nodes that have not exited yet (for status and tests).
    public var liveNodes: [Generation] { nodes.keys.sorted() }

    /// The supervisor starts: start the first node.
    public mutating func start() -> [Action] {
        [startNext(isReload: false)]
    }

    /// Node `generation` reported that it serves. An older serving node (a reload) is drained now.
    public mutating func nodeReady(_ generation: Generation) -> [Action] {
        guard case .starting = nodes[generation] else { return [] }
        nodes[generation] = .serving
        everReady = true
        var actions: [Action] = []
        if stopping {
            nodes[generation] = .draining
            return [.drainNode(generation)]
        }
        for (other, phase) in nodes where other < generation && phase == .serving {
            nodes[other] = .draining
            actions.append(.note("node \(generation) is ready; draining node \(other)"))
            actions.append(.drainNode(other))
        }
        return actions
    }

    /// Node `generation` sent its crash notice (a fatal signal; it has closed its clients'
    /// connections and is writing its backtrace). `time` is monotonic, for the restart intensity.
    public mutating func nodeCrashed(_ generation: Generation, at time: Duration) -> [Action] {
        guard let phase = nodes[generation], phase != .crashed else { return [] }
        nodes[generation] = .crashed
        return [.killNodeAfter(generation, grace: crashGrace)] + replace(generation, previousPhase: phase, at: time)
    }

    /// Node `generation` exited with `status` (from `waitpid`).
    public mutating func nodeExited(_ generation: Generation, status: NodeExitStatus, at time: Duration) -> [Action] {
        guard let phase = nodes.removeValue(forKey: generation) else { return [] }
        var actions: [Action] = []
        if !status.isClean || phase == .crashed {
            actions.append(.reportCrash(generation, status))
            if phase != .crashed {
                // Died without a notice (SIGKILL, the OOM killer, exit 1): replace it all the same.
                if case .starting(isReload: false) = phase, !everReady {
                    stopping = true
                    exitCode = status.exitCodeForSupervisor
                    exitReason = "the node could not start (\(status)); see its output above"
                    actions.append(contentsOf: nodes.keys.sorted().map { Action.killNode($0) })
                } else {
                    actions.append(contentsOf: replace(generation, previousPhase: phase, at: time))
                }
            }
        } else if !stopping, phase == .serving || phase == .starting(isReload: false), nodes.isEmpty {
            stopping = true
            exitReason = "the node stopped by itself (exit code 0)"
        }
        return actions + finishIfDone()
    }

    /// SIGTERM or SIGINT reached the supervisor: drain every node, then exit 0. A second request
    /// kills the nodes at once.
    public mutating func stopRequested() -> [Action] {
        if stopping {
            return nodes.keys.sorted().map { Action.killNode($0) } + finishIfDone()
        }
        stopping = true
        exitReason = "stopped by request"
        var actions: [Action] = []
        for generation in nodes.keys.sorted() where nodes[generation] != .crashed && nodes[generation] != .draining {
            nodes[generation] = .draining
            actions.append(.drainNode(generation))
        }
        return actions + finishIfDone()
    }

    /// SIGHUP (or `siteflow reload`): start a new node from the binary now on disk; the serving
    /// one is drained when the new one is ready.
    public mutating func reloadRequested() -> [Action] {
        guard !stopping else { return [.note("reload ignored: the supervisor is stopping")] }
        if nodes.values.contains(where: { if case .starting = $0 { return true } else { return false } }) {
            return [.note("reload ignored: a node is already starting")]
        }
        return [.note("reload: starting node \(lastGeneration + 1) beside the serving one"), startNext(isReload: true)]
    }

    /// A crashed node's grace ran out: kill it if it is still there.
    public mutating func killTimerFired(_ generation: Generation) -> [Action] {
        nodes[generation] == .crashed ? [.killNode(generation)] : []
    }

    private mutating func startNext(isReload: Bool) -> Action {
        lastGeneration += 1
        nodes[lastGeneration] = .starting(isReload: isReload)
        return .startNode(lastGeneration)
    }

    /// A node died: start a replacement if it was the one serving (or about to) and nobody newer
    /// is, within the restart intensity.
    private mutating func replace(_ generation: Generation, previousPhase: Phase, at time: Duration) -> [Action] {
        guard !stopping, previousPhase != .draining else { return [] }
        if case .starting(isReload: true) = previousPhase {
            return [.note("reload abandoned: node \(generation) died before it was ready; the running node keeps serving")]
        }
        let newer = nodes.contains { $0.key > generation && $0.value != .crashed }
        let olderServing = nodes.contains { $0.key < generation && $0.value == .serving }
        guard !newer, !olderServing else { return [] }
        guard intensity.allowRestart(at: time) else {
            stopping = true
            exitCode = 1
            exitReason = "the node crashed more than \(intensity.maxRestarts) times within \(intensity.window); "
                + "giving up (see the crash reports above). Fix the cause, or raise --max-restarts / --restart-window"
            return nodes.keys.sorted().filter { $0 != generation }.map { Action.killNode($0) }
        }
        return [.note("restarting: node \(lastGeneration + 1) replaces node \(generation)"), startNext(isReload: false)]
    }

    private mutating func finishIfDone() -> [Action] {
        guard stopping, nodes.isEmpty, !finished else { return [] }
        finished = true
        return [.exit(code: exitCode, reason: exitReason)]
    }
}

extension NodeExitStatus {
    /// The supervisor's own exit code when it stops because of this status (never 0 for a failure).
    var exitCodeForSupervisor: Int32 {
        switch self {
        case .exited(let code): return code == 0 ? 1 : code
        case .signaled(let signal): return 128 + signal
        }
    }
}
