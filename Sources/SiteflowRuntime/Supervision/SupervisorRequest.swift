/// The calls a ``Supervisor`` process answers (internal: callers use ``SupervisorRef``).
enum SupervisorRequest: Sendable {
    /// Start the initial children; the first call a supervisor answers.
    case startInitialChildren
    case whichChildren
    case countChildren
    case startChild(ChildSpec)
    case terminateChild(String)
    case restartChild(String)
    case deleteChild(String)
    /// Terminate the children in reverse start order, answer, and exit with the reason.
    case stop(ExitReason)
}

/// The calls a ``DynamicSupervisor`` process answers (internal: callers use
/// ``DynamicSupervisorRef``).
enum DynamicSupervisorRequest: Sendable {
    case startChild(ChildSpec)
    case terminateChild(ProcessID)
    case whichChildren
    case countChildren
    /// Terminate all children, answer, and exit with the reason.
    case stop(ExitReason)
}

/// A supervisor's answer to one call: what the request asked for, or why it was refused.
typealias SupervisorReply = Result<SupervisorAnswer, SupervisorError>

/// What a supervisor answers to a request that succeeded.
enum SupervisorAnswer: Sendable {
    case done
    case process(ProcessID)
    case children([ChildInfo])
    case counts(ChildCounts)
}

/// The underlying error of a supervisor request whose answer was not of the kind asked for (a
/// bug in the supervisor, reported as a typed error rather than a crash).
struct UnexpectedSupervisorAnswer: Error, CustomStringConvertible {
    let answer: SupervisorAnswer
    var description: String { "unexpected supervisor answer \(answer)" }
}

extension SupervisorError {
    /// A request that reached no running supervisor: the call failed with `error`.
    static func notRunning(_ error: CallError) -> SupervisorError {
        SupervisorError(.supervisorNotRunning, underlying: error)
    }
}

/// Sends supervisor requests through a ``ServerRef`` and turns their outcome into the typed
/// results of ``SupervisorRef`` and ``DynamicSupervisorRef``.
enum SupervisorCall {
    /// Calls `server` (without a timeout: a request waits behind restarts in progress, and the
    /// call fails at once if the supervisor ends) and extracts the answer asked for.
    static func request<Server: AsyncGenServer, Value>(
        _ server: ServerRef<Server>, _ request: sending Server.Call, _ extract: (SupervisorAnswer) -> Value?
    ) async throws(SupervisorError) -> Value where Server.Reply == SupervisorReply {
        let reply: SupervisorReply
        do {
            reply = try await server.call(request, timeout: nil)
        } catch {
            throw .notRunning(error)
        }
        let answer = try reply.get()
        guard let value = extract(answer) else {
            throw SupervisorError(.supervisorNotRunning, underlying: UnexpectedSupervisorAnswer(answer: answer))
        }
        return value
    }
}

extension SupervisorAnswer {
    var isDone: Void? { if case .done = self { return () } else { return nil } }
    var process: ProcessID? { if case .process(let process) = self { return process } else { return nil } }
    var children: [ChildInfo]? { if case .children(let children) = self { return children } else { return nil } }
    var counts: ChildCounts? { if case .counts(let counts) = self { return counts } else { return nil } }
}
