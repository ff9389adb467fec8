import NIOCore
import SiteflowRealtime
import SiteflowWebSocketCodec
import Synchronization

/// The server side of one upgraded WebSocket: the only handler in the channel's pipeline after
/// the upgrade. It parses the client's frames, lets its ``WebSocketStateMachine`` decide on each
/// (reassembly, pings, the close handshake, the partial-frame deadline) and carries the
/// decisions out; it frames and writes the socket layer's messages through a bounded queue.
///
/// There is no task, no async sequence and no separate codec handler per connection: a
/// connection costs its NIO channel and this object. `send`, `close` and `inboundConsumed` may be
/// called from any thread; frames are batched, handed to the event loop by its
/// ``LoopWriteScheduler`` (one hop per loop for a whole broadcast) and written with one flush per
/// batch.
///
/// Bounds: outbound, at most ``WebSocketLimits/outboundQueueLimit`` frames wait (a pending pong
/// counts, and pings are coalesced to one pong); inbound, reading stops while the session has not
/// consumed ``WebSocketLimits/inboundPendingLimit`` bytes (for sessions that report
/// consumption), and incomplete frames count against a per-connection deadline and the node's
/// ``PartialFrameBudget``.
final class WebSocketConnection: ChannelInboundHandler, TransportConnection, @unchecked Sendable {
    // @unchecked Sendable: the cross-thread state lives in `shared` (a Mutex) and `unconsumed`
    // (an atomic); every other stored `var` is touched only on the channel's event loop (handler
    // callbacks, and `drain`, which the loop's LoopWriteScheduler runs there), except
    // `listNext`/`listPrevious`, which are only touched under that scheduler's lock.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The limits every connection of a server enforces.
    typealias Limits = WebSocketLimits

    /// Handler state an idle connection never needs, kept out of line so that each idle
    /// connection carries one nil reference instead of it.
    private final class OccasionalState {
        var closeTimer: Scheduled<Void>?
        /// Bytes of incomplete frames charged to the node's ``PartialFrameBudget``.
        var partialCharged = 0
        /// Whether a pong waiting to be written occupies a slot of the outbound queue.
        var pongQueued = false
    }

    /// The receive allocator of an upgraded socket: small while idle, growing for busy ones.
    var receiveAllocator: CompactAdaptiveRecvAllocator {
        CompactAdaptiveRecvAllocator(initial: limits.receiveBufferInitialSize)
    }

    private struct SharedState {
        var pending: [TransportFrame] = []
        /// Frames accepted by `send` (and a pending pong) not yet handed to the channel.
        var queued = 0
        var drainScheduled = false
        /// A close not yet carried out by `drain`.
        var closeRequest: (code: TransportCloseCode, reason: String)?
        /// Set by `close` and never cleared: from then on `send` refuses, also while `drain`
        /// carries the close out.
        var closeRequested = false
        var closed = false
    }

    /// What ``enqueue(_:)`` did with a frame.
    enum SendOutcome: Equatable {
        /// The frame is queued and will be written.
        case accepted
        /// Refused: the connection is closed or closing (a close was requested by either side).
        case closing
        /// Refused: the bounded outbound queue is full (a slow consumer).
        case queueFull
    }

    private let scheduler: LoopWriteScheduler
    /// The server's limits (also held by `machine`; this copy is read from any thread).
    private let limits: Limits
    private let registry: ConnectionRegistry
    private let shared = Mutex(SharedState())
    /// Payload bytes handed to a consumption-reporting session and not yet consumed.
    private let unconsumed = Atomic<Int>(0)

    // Event-loop state.
    private var session: (any TransportSession)?
    private var context: ChannelHandlerContext?
    private var inbound: ByteBuffer?
    private var backlog: [TransportFrame] = []
    private var drainBuffer: [TransportFrame] = []
    private var occasionalState: OccasionalState?
    private var occasional: OccasionalState {
        if let occasionalState { return occasionalState }
        let state = OccasionalState()
        occasionalState = state
        return state
    }
    /// Links of the scheduler's list of open connections; only touched under its lock.
    var listNext: WebSocketConnection?
    /// See ``listNext``.
    var listPrevious: WebSocketConnection?
    // The machine, then the one-byte flags, which pack behind its phase.
    private var machine: WebSocketStateMachine
    private var finished = false
    /// After a framing violation the byte stream cannot be parsed any more.
    private var inputBroken = false
    /// The channel's writability as of its last change (the write path reads this instead of
    /// the channel, which a broadcast would otherwise touch once per socket).
    private var isWritable = true
    /// Whether the session reports consumption (so reading pauses when it falls behind).
    private var sessionReportsConsumption = false
    /// Whether reading is paused because the session has not consumed enough.
    private var readPaused = false

    init(scheduler: LoopWriteScheduler, limits: Limits, registry: ConnectionRegistry) {
        self.scheduler = scheduler
        self.limits = limits
        self.machine = WebSocketStateMachine(limits: limits)
        self.registry = registry
    }

    /// The channel closed before or after the upgrade finished. Event loop only.
    func channelClosed() {
        finish()
    }

    /// Attaches the session the endpoint accepted with. Event loop only.
    func attach(_ session: any TransportSession) {
        self.session = session
        sessionReportsConsumption = session.reportsConsumption
        registry.webSocketOpened()
        scheduler.track(self)
    }

    // MARK: TransportConnection

    func send(_ frame: TransportFrame) -> Bool {
        enqueue(frame) == .accepted
    }

    /// Queues `frame` for the client, or says why not: once a close was requested (by the
    /// socket layer, or by the client or a broken rule) no frame is accepted, and none is
    /// accepted beyond ``WebSocketLimits/outboundQueueLimit`` waiting ones.
    func enqueue(_ frame: TransportFrame) -> SendOutcome {
        let limit = limits.outboundQueueLimit
        let (outcome, schedule) = shared.withLock { state -> (SendOutcome, Bool) in
            guard !state.closed, !state.closeRequested else { return (.closing, false) }
            guard state.queued < limit else { return (.queueFull, false) }
            state.queued += 1
            state.pending.append(frame)
            let schedule = !state.drainScheduled
            state.drainScheduled = true
            return (.accepted, schedule)
        }
        if schedule {
            scheduler.schedule(self)
        }
        return outcome
    }

    var isClosing: Bool {
        shared.withLock { $0.closed || $0.closeRequested }
    }

    func close(code: TransportCloseCode, reason: String) {
        let schedule = shared.withLock { state -> Bool in
            guard !state.closed, !state.closeRequested else { return false }
            state.closeRequested = true
            state.closeRequest = (code, reason)
            let schedule = !state.drainScheduled
            state.drainScheduled = true
            return schedule
        }
        if schedule {
            scheduler.schedule(self)
        }
    }

    func inboundConsumed(byteCount: Int) {
        let before = unconsumed.wrappingSubtract(byteCount, ordering: .relaxed).oldValue
        let resumeAt = limits.inboundPendingLimit / 2
        // Reading paused above the limit; the consumption that brings the backlog down to half
        // of it wakes the loop (at most one hop per crossing).
        if before > resumeAt, before - byteCount <= resumeAt {
            scheduler.eventLoop.execute { self.resumeReadingIfPaused() }
        }
    }

    // MARK: Outbound path (event loop)

    /// Moves the frames queued by `send` into the channel (or the backlog while the channel is
    /// not writable), flushes once, then performs a requested close. Run by the event loop's
    /// ``LoopWriteScheduler``.
    func drain() {
        let closeRequest = shared.withLock { state -> (code: TransportCloseCode, reason: String)? in
            swap(&state.pending, &drainBuffer)
            state.drainScheduled = false
            let request = state.closeRequest
            state.closeRequest = nil
            return request
        }
        if !drainBuffer.isEmpty {
            // `phase == .open` also means the channel is active: `finish` (on channelInactive)
            // ends the open phase, and both run on this event loop.
            if backlog.isEmpty, machine.phase == .open, let context {
                let written = write(drainBuffer[...], force: false, context: context)
                if written < drainBuffer.count {
                    backlog.append(contentsOf: drainBuffer[written...])
                }
            } else {
                backlog.append(contentsOf: drainBuffer)
            }
            // Busy sockets keep a small batch array; idle ones (one frame now and then) free it.
            let keep = drainBuffer.capacity > 4 && drainBuffer.capacity <= 64
            drainBuffer.removeAll(keepingCapacity: keep)
        }
        writeBacklog()
        if let closeRequest {
            beginClose(code: closeRequest.code, reason: closeRequest.reason)
        }
    }

    /// Writes a waiting pong, then backlog frames while the channel is writable (all of them
    /// when `force`).
    private func writeBacklog(force: Bool = false) {
        guard let context, !finished else { return }
        if machine.hasPendingPong, isWritable || force {
            writePendingPong(context: context)
        }
        guard !backlog.isEmpty else { return }
        let written = write(backlog[...], force: force, context: context)
        if written == backlog.count {
            backlog.removeAll()
        } else {
            backlog.removeFirst(written)
        }
    }

    /// Frames and writes `frames` while the channel is writable (all when `force`), flushes,
    /// and returns how many were written. The headers of a batch share one small buffer; the
    /// payloads are written as they are, so a broadcast's bytes are never copied per socket.
    private func write(_ frames: ArraySlice<TransportFrame>, force: Bool, context: ChannelHandlerContext) -> Int {
        var count = 0
        var headerBytes = 0
        let writable = force || isWritable ? Int.max : 0
        for frame in frames {
            guard count < writable else { break }
            headerBytes += WebSocketFrameWriter.headerSize(payloadLength: frame.bytes.readableBytes)
            count += 1
        }
        guard count > 0 else { return 0 }
        if count == 1, let frame = frames.first, frame.bytes.readableBytes <= FramedPayloadCache.maximumPayload {
            // One small message (an idle socket's share of a broadcast): one buffer, one write.
            context.write(wrapOutboundOut(scheduler.framed(frame.bytes, opcode: frame.opcode)), promise: nil)
        } else {
            var headers = scheduler.allocator.buffer(capacity: headerBytes)
            for frame in frames.prefix(count) {
                WebSocketFrameWriter.writeHeader(opcode: frame.opcode, payloadLength: frame.bytes.readableBytes, into: &headers)
            }
            var offset = 0
            for frame in frames.prefix(count) {
                let size = WebSocketFrameWriter.headerSize(payloadLength: frame.bytes.readableBytes)
                if let header = headers.getSlice(at: headers.readerIndex + offset, length: size) {
                    context.write(wrapOutboundOut(header), promise: nil)
                }
                offset += size
                if frame.bytes.readableBytes > 0 {
                    context.write(wrapOutboundOut(frame.bytes), promise: nil)
                }
            }
        }
        context.flush()
        shared.withLock { $0.queued -= count }
        return count
    }

    /// Writes one control frame (pong, close) at once.
    private func writeControl(_ opcode: WebSocketFrameOpcode, payload: ByteBuffer, context: ChannelHandlerContext) {
        let frame = WebSocketFrameWriter(role: .server).frame(opcode: opcode, payload: payload, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    /// Answers the latest unanswered ping when the channel can take it; otherwise the pong
    /// waits (one at most: later pings replace it) and holds a slot of the outbound queue.
    private func answerPing(context: ChannelHandlerContext) {
        guard machine.hasPendingPong else { return }
        if isWritable, backlog.isEmpty {
            writePendingPong(context: context)
        } else if occasionalState?.pongQueued != true {
            occasional.pongQueued = true
            shared.withLock { $0.queued += 1 }
        }
    }

    private func writePendingPong(context: ChannelHandlerContext) {
        guard let pong = machine.takePendingPong() else { return }
        if occasionalState?.pongQueued == true {
            occasional.pongQueued = false
            shared.withLock { $0.queued -= 1 }
        }
        writeControl(.pong, payload: pong, context: context)
    }

    // MARK: Channel handler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if machine.phase == .closing {
            // The socket layer closed the connection before the upgrade finished.
            sendCloseFrame(context: context)
        } else {
            writeBacklog()
        }
        if !context.channel.isActive {
            finish()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        isWritable = context.channel.isWritable
        if isWritable {
            writeBacklog()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        // While closing, what the client still sends (other than its close frame) is dropped.
        guard machine.phase != .closed, !inputBroken else { return }
        if inbound == nil {
            inbound = bytes
        } else {
            inbound?.writeBuffer(&bytes)
        }
        let parser = WebSocketFrameParser(role: .server, maxPayloadSize: limits.maxMessageSize)
        parsing: while var buffer = inbound, buffer.readableBytes > 0 {
            inbound = nil
            let outcome = parser.next(from: &buffer)
            inbound = buffer
            switch outcome {
            case .needMoreData:
                // Keep only the unparsed tail, so a large read buffer is not retained.
                if let rest = inbound, rest.readerIndex > 0 {
                    inbound = ByteBuffer(rest.readableBytesView)
                }
                break parsing
            case .violation(let violation):
                inbound = nil
                inputBroken = true
                if machine.close(code: TransportCloseCode(rawValue: violation.closeCode), reason: violation.reason) {
                    startedClosing()
                }
                break parsing
            case .frame(let frame):
                if frame.opcode == .ping, machine.hasPendingPong {
                    limits.count(.webSocketPingsCoalesced)
                }
                perform(machine.received(frame), for: frame.opcode, context: context)
                // While closing, keep parsing: the client's close frame may follow in this read.
                if machine.phase == .closed || inputBroken {
                    inbound = nil
                    break parsing
                }
            }
        }
        if inbound?.readableBytes == 0 { inbound = nil }
        accountPartialFrames(context: context)
        // One pong per read at most: the pings of a burst are answered by the last one's pong.
        answerPing(context: context)
    }

    private func perform(_ action: WebSocketStateMachine.FrameAction, for opcode: WebSocketFrameOpcode, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .deliver(let payload, let isText):
            deliver(payload, isText: isText, context: context)
        case .fail:
            switch opcode {
            case .ping: limits.count(.webSocketPingFloodCloses)
            case .close: limits.count(.webSocketInvalidCloseFrames)
            default: break
            }
            startedClosing()
        case .answerClose(let code):
            markClosed()
            var echo = context.channel.allocator.buffer(capacity: 4)
            WebSocketFrameWriter.writeHeader(opcode: .close, payloadLength: code == nil ? 0 : 2, into: &echo)
            if let code { echo.writeInteger(code.rawValue) }
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(echo)).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .dropConnection:
            context.close(promise: nil)
        }
    }

    private func deliver(_ payload: ByteBuffer, isText: Bool, context: ChannelHandlerContext) {
        guard let session else { return }
        if sessionReportsConsumption {
            let total = unconsumed.wrappingAdd(payload.readableBytes, ordering: .relaxed).newValue
            if total > limits.inboundPendingLimit, !readPaused {
                readPaused = true
                limits.count(.webSocketReadPauses)
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
        }
        session.received(isText ? .text(payload) : .binary(payload))
    }

    /// The session caught up: read again. Event loop only.
    private func resumeReadingIfPaused() {
        guard readPaused, !finished, let context else { return }
        guard unconsumed.load(ordering: .relaxed) <= limits.inboundPendingLimit / 2 else { return }
        readPaused = false
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    // MARK: Incomplete frames

    /// After a read: charges the bytes held in incomplete frames to the node's budget (closing
    /// the connection when it is spent) and arms the partial-frame deadline.
    private func accountPartialFrames(context: ChannelHandlerContext) {
        let held = (inbound?.readableBytes ?? 0) + machine.fragmentBytes
        let charged = occasionalState?.partialCharged ?? 0
        if held != charged {
            guard limits.partialFrameBudget.adjust(by: held - charged) else {
                limits.count(.webSocketPartialBudgetCloses)
                dropPartialInput()
                if machine.close(code: .tryAgainLater, reason: "the server's budget for incomplete frames is spent") {
                    startedClosing()
                }
                return
            }
            occasional.partialCharged = held
        }
        if let due = machine.holding(partialBytes: held, now: .now()) {
            schedulePartialDeadline(at: due, context: context)
        }
    }

    private func schedulePartialDeadline(at deadline: NIODeadline, context: ChannelHandlerContext) {
        context.eventLoop.scheduleTask(deadline: deadline) { [weak self] in
            self?.partialDeadlineReached()
        }
    }

    private func partialDeadlineReached() {
        guard !finished, let context else { return }
        // While the server itself is not reading (backpressure) the client cannot finish its
        // frame: the deadline waits for reading to resume.
        if readPaused {
            schedulePartialDeadline(at: .now() + limits.partialFrameTimeout, context: context)
            return
        }
        switch machine.partialDeadlineReached(now: .now()) {
        case .none:
            break
        case .checkAgain(let deadline):
            schedulePartialDeadline(at: deadline, context: context)
        case .fail:
            limits.count(.webSocketPartialFrameTimeouts)
            dropPartialInput()
            startedClosing()
        }
    }

    /// Stops parsing and returns the incomplete bytes' share of the node's budget.
    private func dropPartialInput() {
        inbound = nil
        inputBroken = true
        if let charged = occasionalState?.partialCharged, charged > 0 {
            _ = limits.partialFrameBudget.adjust(by: -charged)
            occasional.partialCharged = 0
        }
    }

    // MARK: Closing

    /// Starts the closing handshake from the server side: writes what is queued, then the close
    /// frame, and drops the connection when the client answers or the handshake times out.
    private func beginClose(code: TransportCloseCode, reason: String) {
        guard machine.phase == .open else { return }
        writeBacklog(force: true)
        _ = machine.close(code: code, reason: reason)
        startedClosing()
    }

    /// The machine has begun the handshake (``beginClose`` or a rule the client broke): what is
    /// queued goes out first, then the close frame.
    private func startedClosing() {
        writeBacklog(force: true)
        markClosed()
        // Without a context the upgrade is still in flight; `handlerAdded` sends the frame.
        if let context {
            sendCloseFrame(context: context)
        }
    }

    private func sendCloseFrame(context: ChannelHandlerContext) {
        let code = machine.closeCode ?? .normal
        let reason = machine.closeReason
        var data = context.channel.allocator.buffer(capacity: 2 + min(reason.utf8.count, 123))
        // Control frames carry at most 125 bytes: the reason is cut at a character boundary.
        WebSocketCloseBody(code: code.rawValue, reason: reason).write(into: &data)
        writeControl(.close, payload: data, context: context)
        let channel = context.channel
        occasional.closeTimer = context.eventLoop.scheduleTask(in: limits.closeHandshakeTimeout) {
            channel.close(promise: nil)
        }
    }

    /// No more frames are accepted; queued ones are dropped.
    private func markClosed() {
        shared.withLock { state in
            state.closed = true
            state.queued = 0
            state.pending.removeAll()
        }
        occasionalState?.pongQueued = false
        backlog.removeAll()
    }

    /// The channel is gone: tell the session once, and forget everything.
    private func finish() {
        guard !finished else { return }
        finished = true
        machine.connectionClosed()
        occasionalState?.closeTimer?.cancel()
        occasionalState?.closeTimer = nil
        markClosed()
        dropPartialInput()
        if let session {
            scheduler.untrack(self)
            registry.webSocketClosed()
            self.session = nil
            session.transportClosed(code: machine.closeCode, reason: machine.closeReason)
        }
    }
}

extension TransportFrame {
    fileprivate var bytes: ByteBuffer {
        switch self {
        case .text(let bytes), .binary(let bytes): bytes
        }
    }

    fileprivate var opcode: WebSocketFrameOpcode {
        switch self {
        case .text: .text
        case .binary: .binary
        }
    }
}
