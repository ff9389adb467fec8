#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSiteflowRuntime
import CSiteflowSpawn
import Synchronization

/// The node's side of one isolated worker OS process: the socket pair's end, the worker's
/// standard error, and one thread of its own that starts the worker, reads its frames and output,
/// writes what could not be written at once, and reaps it.
///
/// The thread only moves bytes, decodes replies and completes calls: no process code runs on it.
/// The worker is started from this thread, which lives until the worker has been reaped, so the
/// worker's "parent died" signal (`PR_SET_PDEATHSIG`, which follows the spawning *thread*) fires
/// only when the node itself dies.
final class WorkerConnection: Sendable {
    /// What the proxy and the thread share about the frames not yet written.
    private struct Outbox {
        var frames: [[UInt8]] = []
        var head = 0
        /// Bytes of `frames[head]` already written.
        var offset = 0
        /// Set when the worker is gone: nothing more is queued.
        var closed = false
        /// Set when the proxy ended: how it ended.
        var proxyEnded: ExitReason?
        var count: Int { frames.count - head }
    }

    /// The worker's OS process id (0 until it is started).
    let workerPID = Atomic<Int32>(0)
    var pid: pid_t { workerPID.load(ordering: .acquiring) }
    private let socket: CInt
    /// A pipe whose read end wakes the thread's `poll` (the proxy wrote, or ended).
    private let wake: (read: CInt, write: CInt)
    private let outbox = Mutex(Outbox())
    private let maxQueued: Int

    private init(socket: CInt, wake: (read: CInt, write: CInt), maxQueued: Int) {
        self.socket = socket
        self.wake = wake
        self.maxQueued = maxQueued
    }

    /// Starts a worker for the server registered as `name` and the thread that serves it.
    /// `deliver` gets each reply and call failure (on the connection's thread); `ended` gets the
    /// proxy's exit reason once the worker is gone, unless the proxy ended first.
    static func start(
        name: String, configuration: IsolationConfiguration, runtime: Runtime,
        deliver: @escaping @Sendable (IsolationFrame, Int32) -> Void,
        ended: @escaping @Sendable (ExitReason) -> Void
    ) throws(SpawnError) -> WorkerConnection {
        var pair: [CInt] = [-1, -1]
        guard socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .workerNotStarted("socketpair: \(errnoText())")
        }
        var errors: [CInt] = [-1, -1]
        guard sf_pipe_cloexec(&errors) == 0 else {
            close(pair[0]); close(pair[1])
            throw .workerNotStarted("pipe: \(errnoText())")
        }
        var wake: [CInt] = [-1, -1]
        guard sf_pipe_cloexec(&wake) == 0 else {
            close(pair[0]); close(pair[1]); close(errors[0]); close(errors[1])
            throw .workerNotStarted("pipe: \(errnoText())")
        }
        for descriptor in wake { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) }
        _ = fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(errors[0], F_SETFL, fcntl(errors[0], F_GETFL) | O_NONBLOCK)

        let launch = WorkerLaunch(
            executable: configuration.executable, arguments: configuration.arguments + [name],
            backtrace: configuration.backtrace, socket: pair[1], errors: errors[1])
        let connection = WorkerConnection(socket: pair[0], wake: (wake[0], wake[1]), maxQueued: configuration.maxQueuedMessages)
        let handOver = Mutex<Result<pid_t, SpawnError>?>(nil)
        let parker = ThreadParker()
        let limits = (frame: configuration.maxFrameBytes, grace: UInt64(clamping: configuration.stopGrace.clampedNanoseconds))
        let errorsRead = errors[0]
        let started = startDetachedThread {
            let spawned = launch.spawn()
            // The child's ends belong to the child now.
            close(launch.socket)
            close(launch.errors)
            switch spawned {
            case .failure(let error):
                handOver.withLock { $0 = .failure(error) }
                parker.unpark()
                close(errorsRead)
                connection.closeDescriptors()
            case .success(let pid):
                connection.workerPID.store(pid, ordering: .releasing)
                handOver.withLock { $0 = .success(pid) }
                parker.unpark()
                connection.serve(errors: errorsRead, frameLimit: limits.frame, grace: limits.grace, runtime: runtime, deliver: deliver, ended: ended)
            }
        }
        guard started else {
            close(pair[1]); close(errors[1]); close(errorsRead)
            connection.closeDescriptors()
            throw .workerNotStarted("cannot start a thread for the worker")
        }
        while true {
            if let outcome = handOver.withLock({ $0 }) {
                switch outcome {
                case .failure(let error): throw error
                case .success: return connection
                }
            }
            parker.park(timeoutNanoseconds: 100_000_000)
        }
    }

    /// Closes the socket and the wake-up pipe, under the outbox's lock, so that the proxy never
    /// writes to a descriptor number that has been closed (and perhaps reused) meanwhile.
    private func closeDescriptors() {
        outbox.withLock { box in
            box.closed = true
            box.frames = []
            box.head = 0
            close(socket)
            close(wake.read)
            close(wake.write)
        }
    }

    // MARK: The proxy's side

    /// Queues `frame` for the worker (written at once when the socket has room). Returns false
    /// when ``IsolationConfiguration/maxQueuedMessages`` frames are already waiting, or the worker
    /// is gone.
    func enqueue(_ frame: [UInt8]) -> Bool {
        outbox.withLock { box -> Bool in
            if box.closed || box.proxyEnded != nil { return false }
            if box.count >= maxQueued { return false }
            if box.count == 0 {
                let written = Self.write(socket, frame, from: 0)
                if written == frame.count { return true }
                box.frames.append(frame)
                box.offset = Swift.max(0, written)
                wakeThread()
            } else {
                box.frames.append(frame)
            }
            return true
        }
    }

    /// The proxy ended with `reason`: an orderly reason lets the worker finish (its socket is
    /// closed, it runs `terminate`, and is killed after the grace period); any other kills it now.
    func proxyEnded(_ reason: ExitReason) {
        outbox.withLock { box in
            if box.proxyEnded == nil { box.proxyEnded = reason }
            if !box.closed { wakeThread() }
        }
    }

    /// Wakes the thread's `poll` (call with the outbox's lock held, the descriptors open).
    private func wakeThread() {
        var one: UInt8 = 1
        _ = Glibc.write(wake.write, &one, 1)
    }

    /// Writes what it can of `bytes[from...]` without blocking; -1 when nothing could be written.
    private static func write(_ descriptor: CInt, _ bytes: [UInt8], from start: Int) -> Int {
        var written = start
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress.map { $0 + written }, raw.count - written, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT))
            }
            if result > 0 { written += result; continue }
            if result < 0 && errno == EINTR { continue }
            break
        }
        return written == start && start == 0 ? (bytes.isEmpty ? 0 : -1) : written
    }

    // MARK: The connection's thread

    private func serve(
        errors: CInt, frameLimit: Int, grace: UInt64, runtime: Runtime,
        deliver: @Sendable (IsolationFrame, Int32) -> Void, ended: @Sendable (ExitReason) -> Void
    ) {
        var reader = IsolationFrameReader(limit: frameLimit)
        var output = OutputTail(capacity: 400)
        var socketOpen = true
        var errorsOpen = true
        var socketClosedAt: UInt64 = 0
        var killAt: UInt64?
        var killed = false
        var handledProxyEnd = false
        var protocolError: IsolationFrameError?
        var exitReport: (orderly: Bool, text: String)?
        var buffer = [UInt8](repeating: 0, count: 65536)
        let pid = self.pid

        func kill9() {
            if !killed { _ = kill(pid, SIGKILL); killed = true }
        }

        while socketOpen || errorsOpen {
            let now = sf_now_ns()
            if let deadline = killAt, now >= deadline { kill9(); killAt = nil }
            // After the socket closed, wait at most 2 s for the rest of the output (its backtrace);
            // a grandchild may hold the pipe.
            if !socketOpen && now >= socketClosedAt + 2_000_000_000 { break }
            var timeout: Int64 = -1
            if let deadline = killAt { timeout = Int64(deadline - now) / 1_000_000 + 1 }
            if !socketOpen {
                let left = Int64(socketClosedAt + 2_000_000_000 - now) / 1_000_000 + 1
                timeout = timeout < 0 ? left : Swift.min(timeout, left)
            }
            let pendingOut = outbox.withLock { $0.count > 0 }
            var fds = [
                pollfd(fd: socketOpen ? socket : -1, events: Int16(POLLIN) | (pendingOut ? Int16(POLLOUT) : 0), revents: 0),
                pollfd(fd: errorsOpen ? errors : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 3, CInt(clamping: timeout))
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }

            if fds[2].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while drain.withUnsafeMutableBytes({ read(wake.read, $0.baseAddress, $0.count) }) > 0 {}
                if !handledProxyEnd, let reason = outbox.withLock({ $0.proxyEnded }) {
                    handledProxyEnd = true
                    if reason.isOrderly && socketOpen {
                        // The worker reads end-of-stream, stops its server in order and exits.
                        flush()
                        shutdown(socket, CInt(SHUT_WR))
                        killAt = sf_now_ns() + grace
                    } else {
                        kill9()
                    }
                }
            }
            if socketOpen && fds[0].revents & Int16(POLLOUT) != 0 { flush() }
            if socketOpen && fds[0].revents & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 {
                readLoop: while true {
                    let count = buffer.withUnsafeMutableBytes { read(socket, $0.baseAddress, $0.count) }
                    if count > 0 {
                        buffer.withUnsafeBytes { reader.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                        do throws(IsolationFrameError) {
                            while let frame = try reader.next() {
                                if frame.kind == .exit {
                                    let orderly = frame.payload.first == 1
                                    exitReport = (orderly, String(decoding: frame.payload.dropFirst(), as: UTF8.self))
                                } else if frame.kind == .reply || frame.kind == .callFailed {
                                    deliver(frame, pid)
                                } else {
                                    throw .unknownKind(frame.kind.rawValue)
                                }
                            }
                        } catch {
                            protocolError = error
                            kill9()
                            socketOpen = false
                            socketClosedAt = sf_now_ns()
                            break readLoop
                        }
                        continue
                    }
                    if count < 0 && errno == EINTR { continue }
                    if count < 0 && errno == EAGAIN { break }
                    socketOpen = false
                    socketClosedAt = sf_now_ns()
                    break
                }
            }
            if errorsOpen && fds[1].revents != 0 {
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(errors, $0.baseAddress, $0.count) }
                    if count > 0 {
                        buffer.withUnsafeBytes { bytes in
                            let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                            output.append(chunk)
                            Self.forward(chunk)
                        }
                        continue
                    }
                    if count < 0 && errno == EINTR { continue }
                    if count < 0 && errno == EAGAIN { break }
                    errorsOpen = false
                    break
                }
            }
        }
        // The worker has closed its socket (or broke the protocol): it is ending. Make sure.
        if !socketOpen && errorsOpen && !killed { kill9() }
        var status: CInt = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        close(errors)
        closeDescriptors()
        let proxyAlreadyEnded = outbox.withLock { $0.proxyEnded != nil }
        guard !proxyAlreadyEnded else { return }
        ended(Self.reason(status: status, pid: pid, protocolError: protocolError, exitReport: exitReport, output: output.lines))
    }

    /// Writes queued frames until the socket is full or the queue is empty.
    private func flush() {
        outbox.withLock { box in
            while box.head < box.frames.count {
                let frame = box.frames[box.head]
                let written = Self.write(socket, frame, from: box.offset)
                if written >= frame.count {
                    box.head += 1
                    box.offset = 0
                } else {
                    if written > 0 { box.offset = written }
                    break
                }
            }
            if box.head == box.frames.count {
                box.frames.removeAll(keepingCapacity: true)
                box.head = 0
            } else if box.head > 1024 {
                box.frames.removeFirst(box.head)
                box.head = 0
            }
        }
    }

    /// Copies the worker's output to the node's standard error (its log lines, its backtrace).
    private static func forward(_ chunk: UnsafeRawBufferPointer) {
        var written = 0
        while written < chunk.count {
            let result = Glibc.write(2, chunk.baseAddress.map { $0 + written }, chunk.count - written)
            if result <= 0 { if errno == EINTR { continue } else { break } }
            written += result
        }
    }

    /// The proxy's exit reason for a worker that ended with `status`.
    static func reason(
        status: CInt, pid: pid_t, protocolError: IsolationFrameError?, exitReport: (orderly: Bool, text: String)?, output: [String]
    ) -> ExitReason {
        let signaled = status & 0x7f != 0
        let code = (status >> 8) & 0xff
        if let protocolError {
            return .error(IsolatedProcessError(code: .protocolViolation, workerPID: pid, detail: protocolError.description))
        }
        if let report = exitReport {
            if report.orderly {
                switch report.text {
                case "normal": return .normal
                case "shutdown": return .shutdown
                default: return .shutdownWith(report.text)
                }
            }
            return .error(IsolatedProcessError(
                code: .serverCrashed, workerPID: pid, exitCode: signaled ? nil : code,
                backtrace: Array(output.suffix(40)), detail: report.text))
        }
        if signaled {
            return .error(IsolatedProcessError(
                code: .signaled, workerPID: pid, signal: status & 0x7f, backtrace: crashLines(output)))
        }
        if code != 0 {
            return .error(IsolatedProcessError(code: .exitedNonZero, workerPID: pid, exitCode: code, backtrace: Array(output.suffix(40))))
        }
        return .error(IsolatedProcessError(code: .exitedUnexpectedly, workerPID: pid, exitCode: 0, backtrace: Array(output.suffix(40))))
    }

    /// The fatal-error message and the backtrace (from the backtracer's banner on), or the last
    /// lines when there is no banner; at most 200 lines.
    static func crashLines(_ lines: [String]) -> [String] {
        guard let banner = lines.lastIndex(where: { $0.hasPrefix("*** Signal") || $0.hasPrefix("*** Program crashed") }) else {
            return Array(lines.suffix(40))
        }
        let message = lines[..<banner].suffix(4).filter { !$0.isEmpty }
        return Array((message + lines[banner...]).prefix(200))
    }
}
