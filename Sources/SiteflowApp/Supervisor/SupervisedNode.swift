import CSiteflowSpawn
import Foundation
import Glibc
import SiteflowRuntime
import Synchronization

/// One node OS process started by the supervisor: the same executable with `--no-supervise`, the
/// listening socket as file descriptor 3 and the notice pipe as 4, its standard error read
/// through a pipe (forwarded to the supervisor's, and kept for the crash report).
final class SupervisedNode: Sendable {
    /// The descriptor a node finds its listening socket on.
    static let listeningDescriptor: CInt = 3
    /// The descriptor a node writes its notices ("ready", "crashed") to.
    static let noticeDescriptor: CInt = 4

    let generation: Int
    let pid: pid_t
    /// When it was started (monotonic nanoseconds).
    let startedAt: UInt64
    let output: NodeOutputTail
    private let crashNotice = Mutex<(signal: Int32, processSerial: UInt64)?>(nil)

    private init(generation: Int, pid: pid_t, output: NodeOutputTail) {
        self.generation = generation
        self.pid = pid
        self.output = output
        self.startedAt = DispatchTime.now().uptimeNanoseconds
    }

    /// The signal and running process its crash notice named, if it sent one.
    var crash: (signal: Int32, processSerial: UInt64)? { crashNotice.withLock { $0 } }

    /// Starts `executable` with `arguments`; its events go to `events`. Two threads per node wait
    /// on its pipes and on its exit (blocking calls, off the cooperative pool).
    static func launch(
        generation: Int, executable: String, arguments: [String], environment: [String: String],
        listening: ListeningSocket, events: AsyncStream<SupervisorEvent>.Continuation
    ) throws -> SupervisedNode {
        var notice: [CInt] = [-1, -1]
        var errors: [CInt] = [-1, -1]
        guard sf_pipe_cloexec(&notice) == 0 else { throw SupervisorError("cannot create a pipe: \(errnoText())") }
        guard sf_pipe_cloexec(&errors) == 0 else {
            close(notice[0]); close(notice[1])
            throw SupervisorError("cannot create a pipe: \(errnoText())")
        }
        defer {
            close(notice[1])
            close(errors[1])
        }
        // Its own process group (a terminal's Ctrl-C reaches only the supervisor, which drains the
        // node), default dispositions and an empty mask for the signals the supervisor handles.
        let spawned = ChildProcessLaunch.spawn(
            executable: executable, arguments: arguments, environment: environment.map { "\($0.key)=\($0.value)" },
            mappings: [
                ChildProcessLaunch.Mapping(source: errors[1], target: 2),
                ChildProcessLaunch.Mapping(source: listening.descriptor, target: listeningDescriptor),
                ChildProcessLaunch.Mapping(source: notice[1], target: noticeDescriptor),
            ])
        let pid: pid_t
        switch spawned {
        case .success(let started):
            pid = started
        case .failure(let failure):
            close(notice[0]); close(errors[0])
            throw SupervisorError(failure.description)
        }
        let child = pid
        let node = SupervisedNode(generation: generation, pid: child, output: NodeOutputTail(capacity: 400))
        let noticeRead = notice[0]
        let errorsRead = errors[0]
        let pipesClosed = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            node.readPipes(notice: noticeRead, errors: errorsRead, events: events)
            pipesClosed.signal()
        }
        Thread.detachNewThread {
            var status: CInt = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            let ended: NodeExitStatus = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
            // The exit is reported once its output is complete (its backtrace, for the crash
            // report), or after 2 s if a grandchild still holds the pipe.
            _ = pipesClosed.wait(timeout: .now() + .seconds(2))
            events.yield(.exited(generation: generation, status: ended))
        }
        return node
    }

    /// Sends `signal` to the node (ignored once it has been reaped and the pid could be reused:
    /// the supervisor stops signalling a node after its exit event).
    func send(_ signal: CInt) {
        _ = kill(pid, signal)
    }

    /// Reads both pipes until both are closed: notices become events; standard error is copied to
    /// the supervisor's and kept in ``output``.
    private func readPipes(notice: CInt, errors: CInt, events: AsyncStream<SupervisorEvent>.Continuation) {
        var open = (notice: true, errors: true)
        var buffer = [UInt8](repeating: 0, count: 16384)
        var noticeLine: [UInt8] = []
        while open.notice || open.errors {
            var fds = [
                pollfd(fd: open.notice ? notice : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open.errors ? errors : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 { if errno == EINTR { continue } else { break } }
            if fds[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(notice, $0.baseAddress, $0.count) }
                if count > 0 {
                    for byte in buffer[0..<count] {
                        if byte == UInt8(ascii: "\n") {
                            handleNotice(String(decoding: noticeLine, as: UTF8.self), events: events)
                            noticeLine.removeAll(keepingCapacity: true)
                        } else if noticeLine.count < 256 {
                            noticeLine.append(byte)
                        }
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.notice = false
                }
            }
            if fds[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(errors, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffer.withUnsafeBytes { bytes in
                        let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                        output.append(chunk)
                        var written = 0
                        while written < count {
                            let result = write(2, chunk.baseAddress.map { $0 + written }, count - written)
                            if result <= 0 { if errno == EINTR { continue } else { break } }
                            written += result
                        }
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.errors = false
                }
            }
        }
        close(notice)
        close(errors)
    }

    private func handleNotice(_ line: String, events: AsyncStream<SupervisorEvent>.Continuation) {
        let words = line.split(separator: " ")
        switch words.first {
        case "ready":
            events.yield(.ready(generation: generation, port: words.count > 1 ? Int(words[1]) ?? 0 : 0))
        case "crashed":
            let signal = words.count > 1 ? Int32(words[1]) ?? 0 : 0
            let serial = words.count > 2 ? UInt64(words[2]) ?? 0 : 0
            crashNotice.withLock { $0 = (signal, serial) }
            events.yield(.crashed(generation: generation, signal: signal, processSerial: serial))
        default:
            break
        }
    }
}
