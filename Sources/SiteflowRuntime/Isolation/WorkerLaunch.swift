#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `posix_spawn` needs to start one worker.
struct WorkerLaunch: Sendable {
    /// The descriptor a worker finds its socket on.
    static let socketDescriptor: CInt = 3

    let executable: String
    let arguments: [String]
    let backtrace: String
    /// The worker's ends (closed in the node once it is started).
    let socket: CInt
    let errors: CInt

    /// Starts the worker: its socket as descriptor 3, its standard output and error into the
    /// pipe, standard input from /dev/null, nothing else inherited; its own process group, the
    /// default signal dispositions, and `SWIFT_BACKTRACE` set for a quick backtrace.
    func spawn() -> Result<pid_t, SpawnError> {
        var environment = ChildProcessLaunch.currentEnvironment.filter {
            !$0.hasPrefix("SWIFT_BACKTRACE=") && !$0.hasPrefix(IsolatedWorker.parentVariable + "=")
        }
        environment.append("SWIFT_BACKTRACE=\(backtrace)")
        environment.append("\(IsolatedWorker.parentVariable)=\(getpid())")
        return ChildProcessLaunch.spawn(
            executable: executable, arguments: arguments, environment: environment,
            mappings: [
                ChildProcessLaunch.Mapping(source: errors, target: 1), ChildProcessLaunch.Mapping(source: errors, target: 2),
                ChildProcessLaunch.Mapping(source: socket, target: Self.socketDescriptor),
            ],
            nullInput: true,
            // `ps` shows the binary's path rather than /proc/self/exe.
            programName: executable == "/proc/self/exe" ? ChildProcessLaunch.currentExecutablePath : nil
        ).mapError { SpawnError.workerNotStarted($0.description) }
    }
}
