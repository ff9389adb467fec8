import Synchronization

/// The calls an isolated process's worker has not answered yet, by number. Filled by the proxy,
/// emptied by the connection's thread as replies come, and dropped when the proxy ends (each
/// dropped ``Caller`` then fails its call with the proxy's exit reason).
final class PendingCalls<Reply: Sendable>: Sendable {
    private let table = Mutex<[UInt64: Caller<Reply>]>([:])

    var count: Int { table.withLock { $0.count } }

    func insert(_ caller: Caller<Reply>, id: UInt64) { table.withLock { $0[id] = caller } }

    func take(_ id: UInt64) -> Caller<Reply>? { table.withLock { $0.removeValue(forKey: id) } }

    /// Drops every caller (outside the lock: dropping one completes its call).
    func dropAll() {
        let all = table.withLock { table -> [UInt64: Caller<Reply>] in
            defer { table = [:] }
            return table
        }
        _ = consume all
    }
}

/// The process that stands for an isolated server in the node: an ordinary process with the
/// server's mailbox type (so a ``ServerRef`` addresses it), which encodes each call, cast and
/// info message and hands it to its ``WorkerConnection``. Replies complete the calls from the
/// connection's thread; when the worker ends, the connection stops this process with the
/// worker's exit reason.
struct IsolatedProxy<Server: IsolatedServer>: Behavior {
    typealias Message = ServerMessage<Server>

    let connection: WorkerConnection
    let pending: PendingCalls<Server.Reply>
    let maxFrameBytes: Int
    let maxPending: Int
    let statistics: RuntimeStatistics
    var nextCall: UInt64 = 1

    static var kind: String { "isolated(\(Server.self))" }

    mutating func handle(_ message: ServerMessage<Server>, context: ProcessContext<ServerMessage<Server>>) throws {
        switch message {
        case .call(let request, let caller):
            let id = nextCall
            nextCall &+= 1
            let frame: [UInt8]
            do {
                frame = try encode(.call, id: id, request)
            } catch {
                refuse()
                caller.fail(.requestRejected(error))
                return
            }
            guard pending.count < maxPending else {
                refuse()
                caller.fail(.mailboxFull)
                return
            }
            pending.insert(caller, id: id)
            if !connection.enqueue(frame) {
                _ = pending.take(id)
                refuse()
                caller.fail(.mailboxFull)
            }
        case .cast(let message):
            forward(.cast, message)
        case .info(let message):
            forward(.info, message)
        }
    }

    /// Sends a cast or info message; one that cannot be encoded, or finds the queue full, is
    /// dropped (like a message to a full mailbox) and counted.
    private func forward<Value: Encodable>(_ kind: IsolationFrame.Kind, _ value: Value) {
        guard let frame = try? encode(kind, id: 0, value), connection.enqueue(frame) else {
            refuse()
            return
        }
    }

    private func refuse() {
        statistics.isolatedRefusedCounter.wrappingAdd(1, ordering: .relaxed)
    }

    private func encode<Value: Encodable>(_ kind: IsolationFrame.Kind, id: UInt64, _ value: Value) throws -> [UInt8] {
        let payload: [UInt8]
        do {
            payload = try IsolationCodec.encode(value)
        } catch {
            throw IsolatedProcessError(code: .messageNotSendable, workerPID: connection.pid, detail: "cannot encode \(Value.self): \(error)")
        }
        guard payload.count <= maxFrameBytes else {
            throw IsolatedProcessError(
                code: .messageNotSendable, workerPID: connection.pid,
                detail: "\(Value.self) encodes to \(payload.count) bytes, above the frame limit of \(maxFrameBytes)")
        }
        return IsolationFrame(kind: kind, id: id, payload: payload).bytes
    }

    /// On the connection's thread: completes the call a reply or failure frame answers.
    static func deliver(_ frame: IsolationFrame, to pending: PendingCalls<Server.Reply>, workerPID: Int32) {
        guard let caller = pending.take(frame.id) else { return }  // timed out long ago, or unknown
        switch frame.kind {
        case .reply:
            do {
                caller.reply(try IsolationCodec.decode(Server.Reply.self, from: frame.payload))
            } catch {
                caller.fail(.serverCrashed(IsolatedProcessError(
                    code: .protocolViolation, workerPID: workerPID, detail: "cannot decode the reply as \(Server.Reply.self): \(error)")))
            }
        default:
            caller.fail(.serverCrashed(IsolatedProcessError(
                code: .serverCrashed, workerPID: workerPID, detail: String(decoding: frame.payload, as: UTF8.self))))
        }
    }
}

extension Runtime {
    /// Starts `server` in a worker OS process, behind a proxy process with `options` (minus the
    /// isolation), and returns the proxy's address.
    func startIsolatedServer<S: GenServer>(_ server: sending S, options: SpawnOptions, caller: ProcessCore?) throws -> ServerRef<S> {
        guard let isolatable = S.self as? any IsolatedServer.Type else {
            throw SpawnError.notIsolatable("\(S.self) (not an IsolatedServer)")
        }
        return try startIsolated(isolatable, server, options: options, caller: caller)
    }

    private func startIsolated<I: IsolatedServer, S: GenServer>(
        _ type: I.Type, _ server: S, options: SpawnOptions, caller: ProcessCore?
    ) throws -> ServerRef<S> {
        guard let typed = server as? I else { throw SpawnError.notIsolatable("\(S.self)") }
        let configuration = self.configuration.isolation
        guard let name = configuration.behaviors.name(of: I.self) else {
            throw SpawnError.notIsolatable("\(I.self) (not registered in RuntimeConfiguration.isolation.behaviors)")
        }
        let initial: [UInt8]
        do {
            initial = IsolationFrame(kind: .start, id: 0, payload: try IsolationCodec.encode(typed)).bytes
        } catch {
            throw SpawnError.initFailed("cannot encode \(I.self) for its worker: \(error)")
        }
        guard initial.count - IsolationFrame.headerSize <= configuration.maxFrameBytes else {
            throw SpawnError.initFailed("\(I.self) encodes to \(initial.count) bytes, above the frame limit of \(configuration.maxFrameBytes)")
        }
        let pending = PendingCalls<I.Reply>()
        // The proxy, once spawned; or how the worker ended, if it ended before that.
        let proxyBox = Mutex<(proxy: ProcessCore?, early: ExitReason?)>((nil, nil))
        let connection = try WorkerConnection.start(
            name: name, configuration: configuration, runtime: self,
            deliver: { frame, workerPID in IsolatedProxy<I>.deliver(frame, to: pending, workerPID: workerPID) },
            ended: { reason in
                let proxy = proxyBox.withLock { box -> ProcessCore? in
                    if box.proxy == nil { box.early = reason }
                    return box.proxy
                }
                proxy?.pushSignal(.run { core in core.requestStop(reason) })
            })
        var proxyOptions = options
        proxyOptions.isolation = .none
        let cell: ProcessCell<IsolatedProxy<I>>
        do {
            cell = try spawnSuspended(
                IsolatedProxy<I>(
                    connection: connection, pending: pending, maxFrameBytes: configuration.maxFrameBytes,
                    maxPending: configuration.maxQueuedMessages, statistics: statistics),
                options: proxyOptions, caller: caller,
                // Compiled for the concrete server where this is (generic code here: the
                // proxy's loop is not specialised, which the socket round trip dwarfs).
                loop: { runBehaviorLoop(IsolatedProxy<I>.self, process: $0, budget: $1) })
        } catch {
            connection.proxyEnded(.kill)
            throw error
        }
        cell.extras.state.withLock { $0.kind = "isolated" }
        cell.addExitHook { _, reason in
            connection.proxyEnded(reason)
            pending.dropAll()
        }
        if let early = proxyBox.withLock({ box -> ExitReason? in
            box.proxy = cell
            return box.early
        }) {
            cell.pushSignal(.run { core in core.requestStop(early) })
        }
        _ = connection.enqueue(initial)
        cell.activate()
        guard let ref = ServerRef<I>(pid: PID(cell)) as? ServerRef<S> else { throw SpawnError.notIsolatable("\(S.self)") }
        return ref
    }
}
