/// Why a process could not be spawned.
public struct SpawnError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case processLimitReached(Int)
        case nameTaken(String)
        case runtimeStopped
        case initFailed(String)
    }

    private let code: Code

    /// The runtime already runs its configured maximum number of processes
    /// (``RuntimeConfiguration/maxProcesses``).
    public static func processLimitReached(_ limit: Int) -> SpawnError { SpawnError(code: .processLimitReached(limit)) }
    /// Another live process is registered under the requested name.
    public static func nameTaken(_ name: String) -> SpawnError { SpawnError(code: .nameTaken(name)) }
    /// The runtime has been shut down.
    public static var runtimeStopped: SpawnError { SpawnError(code: .runtimeStopped) }

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
        }
    }
}
