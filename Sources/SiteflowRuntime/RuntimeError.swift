/// Why a process could not be spawned.
public struct SpawnError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case processLimitReached(Int)
        case nameTaken(String)
        case runtimeStopped
        case initFailed(String)
        case notIsolatable(String)
        case workerNotStarted(String)
    }

    private let code: Code

    /// The runtime already runs its configured maximum number of processes
    /// (``RuntimeConfiguration/maxProcesses``).
    public static func processLimitReached(_ limit: Int) -> SpawnError { SpawnError(code: .processLimitReached(limit)) }
    /// Another live process is registered under the requested name.
    public static func nameTaken(_ name: String) -> SpawnError { SpawnError(code: .nameTaken(name)) }
    /// The runtime has been shut down.
    public static var runtimeStopped: SpawnError { SpawnError(code: .runtimeStopped) }
    /// The process's start failed before it ran (its state could not be prepared).
    static func initFailed(_ detail: String) -> SpawnError { SpawnError(code: .initFailed(detail)) }
    /// ``SpawnOptions/isolation`` asked for a worker OS process, but the behaviour is not an
    /// ``IsolatedServer`` registered in ``RuntimeConfiguration/isolation``.
    public static func notIsolatable(_ what: String) -> SpawnError { SpawnError(code: .notIsolatable(what)) }
    /// The worker OS process of an isolated process could not be started (the executable is
    /// missing, no descriptors are left, …).
    public static func workerNotStarted(_ detail: String) -> SpawnError { SpawnError(code: .workerNotStarted(detail)) }

    public var description: String {
        switch code {
        case .processLimitReached(let limit):
            return "process limit reached: \(limit) processes are alive; raise RuntimeConfiguration.maxProcesses or end processes"
        case .nameTaken(let name):
            return "the name \"\(name)\" is already registered to a live process"
        case .runtimeStopped:
            return "the runtime has been shut down; create a new Runtime"
        case .initFailed(let detail):
            return "init failed: \(detail)"
        case .notIsolatable(let what):
            return "\(what) cannot run in a worker OS process: only an IsolatedServer registered in RuntimeConfiguration.isolation.behaviors can"
        case .workerNotStarted(let detail):
            return "the isolated process's worker OS process did not start: \(detail)"
        }
    }
}
