import CSiteflowRuntime
import CSiteflowSpawn
import SiteflowRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Runs one program to completion under a time limit and captures what it prints: how the
/// runtime benchmark starts every measurement (a fresh OS process each) and compiles the anchors.
struct ChildProcess {
    /// How the program ended.
    enum Status: Sendable, Hashable, CustomStringConvertible {
        /// It exited with this code.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)
        /// It ran past the time limit and was killed.
        case timedOut
        /// It could not be started (the `errno` of `posix_spawn` or `pipe`).
        case couldNotStart(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exit code \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            case .timedOut: "timed out"
            case .couldNotStart(let error): "could not start (errno \(error))"
            }
        }
    }

    /// What a finished program left behind.
    struct Outcome: Sendable {
        var status: Status
        var standardOutput: String
        var standardError: String
        /// Wall time from start to exit, in seconds.
        var seconds: Double

        var succeeded: Bool { status == .exited(0) }
    }

    /// Runs `executable` (a path) with `arguments`, standard input from `/dev/null`, and kills it
    /// with `SIGKILL` if it is still running after `timeout`.
    static func run(_ executable: String, arguments: [String], timeout: Duration) -> Outcome {
        let start = sf_now_ns()
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { return failed(errno, since: start) }
        guard pipe(&errPipe) == 0 else {
            let error = errno
            close(outPipe[0]); close(outPipe[1])
            return failed(error, since: start)
        }
        // The child gets the write ends as 1 and 2 (dup2 clears the flag); no other copy leaks.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        sf_spawn_file_actions_add_close_from(&actions, 3)  // keep none of our sockets open in the child

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = argv.withUnsafeBufferPointer { buffer -> Int32 in
            guard let arguments = buffer.baseAddress else { return EINVAL }
            return posix_spawn(&pid, executable, &actions, nil, arguments, environ)
        }
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            return failed(spawned, since: start)
        }

        let deadline = start &+ UInt64(timeout.components.seconds) * 1_000_000_000
            &+ UInt64(timeout.components.attoseconds / 1_000_000_000)
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var timedOut = false
        var killedAt: UInt64 = 0
        var open = (out: true, err: true)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while open.out || open.err {
            let now = sf_now_ns()
            if !timedOut && now >= deadline {
                timedOut = true
                killedAt = now
                kill(pid, SIGKILL)
            }
            // After a kill, a grandchild may still hold the pipes: give them 2 s to close.
            if timedOut && now &- killedAt > 2_000_000_000 { break }
            let waitUntil = timedOut ? killedAt &+ 2_000_000_000 : deadline
            let milliseconds = Int32(clamping: (waitUntil &- min(now, waitUntil)) / 1_000_000 + 1)
            var fds = [
                pollfd(fd: open.out ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open.err ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, milliseconds)
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }
            if fds[0].revents != 0 { open.out = drain(outPipe[0], into: &output, chunk: &chunk) }
            if fds[1].revents != 0 { open.err = drain(errPipe[0], into: &errors, chunk: &chunk) }
        }
        close(outPipe[0])
        close(errPipe[0])

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = Double(sf_now_ns() &- start) / 1e9
        let ended: Status
        if timedOut {
            ended = .timedOut
        } else if status & 0x7f == 0 {
            ended = .exited((status >> 8) & 0xff)
        } else {
            ended = .signalled(status & 0x7f)
        }
        return Outcome(
            status: ended, standardOutput: String(decoding: output, as: UTF8.self),
            standardError: String(decoding: errors, as: UTF8.self), seconds: seconds)
    }

    /// Reads what is available; returns whether the pipe is still open.
    private static func drain(_ fd: Int32, into buffer: inout [UInt8], chunk: inout [UInt8]) -> Bool {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        return count < 0 && (errno == EINTR || errno == EAGAIN)
    }

    private static func failed(_ error: Int32, since start: UInt64) -> Outcome {
        Outcome(status: .couldNotStart(error), standardOutput: "", standardError: "", seconds: Double(sf_now_ns() &- start) / 1e9)
    }

    /// The full path of `name` found on `PATH`, or nil.
    static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        guard let path = getenv("PATH") else { return nil }
        for directory in String(cString: path).split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
