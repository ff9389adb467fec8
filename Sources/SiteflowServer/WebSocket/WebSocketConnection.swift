import NIOCore
import SiteflowRealtime
import Synchronization

/// The server side of one upgraded WebSocket: the only handler in the channel's pipeline after
/// the upgrade. It parses, validates and reassembles the client's frames and hands them straight
/// to the ``TransportSession``; it frames and writes the socket layer's messages through a
/// bounded queue.
///
/// There is no task, no async sequence and no separate codec handler per connection: a
/// connection costs its NIO channel and this object. `send` and `close` may be called from any
/// thread; frames are batched, handed to the event loop by its ``LoopWriteScheduler`` (one hop
/// per loop for a whole broadcast) and written with one flush per batch.
final class WebSocketConnection: ChannelInboundHandler, TransportConnection, @unchecked Sendable {
    // @unchecked Sendable: the cross-thread state lives in `shared` (a Mutex); every other
    // stored `var` is touched only on the channel's event loop (handler callbacks, and `drain`,
    // which the loop's LoopWriteScheduler runs there), except `listNext`/`listPrevious`, which
    // are only touched under that scheduler's lock.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The limits every connection of a server enforces (taken from ``ServerConfiguration``);
    /// one shared object, referenced by each connection.
    final class Limits: Sendable {
        let maxMessageSize: Int
        let outboundQueueLimit: Int
        let closeHandshakeTimeout: TimeAmount
        let receiveBufferInitialSize: Int

        init(maxMessageSize: Int, outboundQueueLimit: Int, closeHandshakeTimeout: TimeAmount, receiveBufferInitialSize: Int) {
            self.maxMessageSize = maxMessageSize
            self.outboundQueueLimit = outboundQueueLimit
            self.closeHandshakeTimeout = closeHandshakeTimeout
            self.receiveBufferInitialSize = receiveBufferInitialSize
        }
    }

    /// State an idle connection never needs — a fragmented message being reassembled, the
    /// close handshake — kept out of line so that each idle connection carries one nil
    /// reference instead of it.
    private final class OccasionalState {
        var fragments: ByteBuffer?
        var fragmentIsText = false
        var closeCode: TransportCloseCode?
        var closeReason = ""
        var closeTimer: Scheduled<Void>?
    }

    /// The receive allocator of an upgraded socket: small while idle, growing for busy ones.
    var receiveAllocator: CompactAdaptiveRecvAllocator {
        CompactAdaptiveRecvAllocator(initial: limits.receiveBufferInitialSize)
    }

    private struct SharedState {
        var pending: [TransportFrame] = []
        /// Frames accepted by `send` and not yet handed to the channel.
        var queued = 0
        var drainScheduled = false
        var closeRequest: (code: TransportCloseCode, reason: String)?
        var closed = false
    }

    private enum Phase {
        case open
        case closing
        case closed
    }

    private let scheduler: LoopWriteScheduler
    private let limits: Limits
    private let registry: ConnectionRegistry
    private let shared = Mutex(SharedState())

    // Event-loop state.
    private var session: (any TransportSession)?
    private var context: ChannelHandlerContext?
    private var inbound: ByteBuffer?
    private var backlog: [TransportFrame] = []
    private var drainBuffer: [TransportFrame] = []
    private var phase = Phase.open
    private var occasionalState: OccasionalState?
    private var occasional: OccasionalState {
        if let occasionalState { return occasionalState }
        let state = OccasionalState()
        occasionalState = state
        return state
    }
    private var finished = false
    /// Links of the scheduler's list of open connections; only touched under its lock.
    var listNext: WebSocketConnection?
    /// See ``listNext``.
    var listPrevious: WebSocketConnection?
    /// After a framing violation the byte stream cannot be parsed any more.
    private var inputBroken = false
    /// The channel's writability as of its last change (the write path reads this instead of
    /// the channel, which a broadcast would otherwise touch once per socket).
    private var isWritable = true

    init(scheduler: LoopWriteScheduler, limits: Limits, registry: ConnectionRegistry) {
        self.scheduler = scheduler
        self.limits = limits
        self.registry = registry
    }

    /// The channel closed before or after the upgrade finished. Event loop only.
    func channelClosed() {
        finish()
    }

    /// Attaches the session the endpoint accepted with. Event loop only.
    func attach(_ session: any TransportSession) {
        self.session = session
        registry.webSocketOpened()
        scheduler.track(self)
    }

    // MARK: TransportConnection

    func send(_ frame: TransportFrame) -> Bool {
        let limit = limits.outboundQueueLimit
        let (accepted, schedule) = shared.withLock { state -> (Bool, Bool) in
            guard !state.closed, state.closeRequest == nil, state.queued < limit else {
                return (false, false)
            }
            state.queued += 1
            state.pending.append(frame)
            let schedule = !state.drainScheduled
            state.drainScheduled = true
            return (true, schedule)
        }
        if schedule {
            scheduler.schedule(self)
        }
        return accepted
    }

    var isClosing: Bool {
        shared.withLock { $0.closed || $0.closeRequest != nil }
    }

    func close(code: TransportCloseCode, reason: String) {
        let schedule = shared.withLock { state -> Bool in
            guard !state.closed, state.closeRequest == nil else { return false }
            state.closeRequest = (code, reason)
            let schedule = !state.drainScheduled
            state.drainScheduled = true
            return schedule
        }
        if schedule {
            scheduler.schedule(self)
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
            if backlog.isEmpty, phase == .open, let context {
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

    /// Writes backlog frames while the channel is writable (all of them when `force`).
    private func writeBacklog(force: Bool = false) {
        guard let context, !backlog.isEmpty, phase == .open else { return }
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
            headerBytes += WebSocketFrameParser.headerSize(length: frame.bytes.readableBytes)
            count += 1
        }
        guard count > 0 else { return 0 }
        if count == 1, let frame = frames.first, frame.bytes.readableBytes <= FramedPayloadCache.maximumPayload {
            // One small message (an idle socket's share of a broadcast): one buffer, one write.
            context.write(wrapOutboundOut(scheduler.framed(frame.bytes, opcode: frame.opcode)), promise: nil)
        } else {
            var headers = scheduler.allocator.buffer(capacity: headerBytes)
            for frame in frames.prefix(count) {
                WebSocketFrameParser.writeHeader(opcode: frame.opcode, length: frame.bytes.readableBytes, into: &headers)
            }
            var offset = 0
            for frame in frames.prefix(count) {
                let size = WebSocketFrameParser.headerSize(length: frame.bytes.readableBytes)
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
    private func writeControl(_ opcode: WebSocketFrameParser.Opcode, payload: ByteBuffer, context: ChannelHandlerContext) {
        var frame = context.channel.allocator.buffer(capacity: 2 + payload.readableBytes)
        WebSocketFrameParser.writeHeader(opcode: opcode, length: payload.readableBytes, into: &frame)
        frame.writeImmutableBuffer(payload)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    // MARK: Channel handler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if phase == .closing {
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
        guard phase != .closed, !inputBroken else { return }
        if inbound == nil {
            inbound = bytes
        } else {
            inbound?.writeBuffer(&bytes)
        }
        let parser = WebSocketFrameParser(maxPayloadSize: limits.maxMessageSize)
        while var buffer = inbound, buffer.readableBytes > 0 {
            inbound = nil
            let outcome = parser.next(from: &buffer)
            inbound = buffer
            switch outcome {
            case .needMoreData:
                // Keep only the unparsed tail, so a large read buffer is not retained.
                if let rest = inbound, rest.readerIndex > 0 {
                    inbound = ByteBuffer(rest.readableBytesView)
                }
                return
            case .violation(let code, let reason):
                inbound = nil
                inputBroken = true
                failConnection(code, reason)
                return
            case .frame(let frame):
                handle(frame, context: context)
                // While closing, keep parsing: the client's close frame may follow in this read.
                if phase == .closed || inputBroken {
                    inbound = nil
                    return
                }
            }
        }
        inbound = nil
    }

    private func handle(_ frame: WebSocketFrameParser.Frame, context: ChannelHandlerContext) {
        var payload = frame.payload
        switch frame.opcode {
        case .text, .binary:
            guard occasionalState?.fragments == nil else {
                failConnection(.protocolError, "a new message began before the fragmented one ended")
                return
            }
            let isText = frame.opcode == .text
            if frame.fin {
                deliver(payload, isText: isText)
            } else {
                occasional.fragments = payload
                occasional.fragmentIsText = isText
            }
        case .continuation:
            guard var buffer = occasionalState?.fragments else {
                failConnection(.protocolError, "a continuation frame without a message to continue")
                return
            }
            occasional.fragments = nil
            guard buffer.readableBytes + payload.readableBytes <= limits.maxMessageSize else {
                failConnection(.messageTooBig, "message larger than \(limits.maxMessageSize) bytes")
                return
            }
            buffer.writeBuffer(&payload)
            if frame.fin {
                deliver(buffer, isText: occasional.fragmentIsText)
            } else {
                occasional.fragments = buffer
            }
        case .ping:
            guard phase == .open else { return }
            writeControl(.pong, payload: payload, context: context)
        case .pong:
            break
        case .close:
            receivedClose(payload, context: context)
        }
    }

    private func deliver(_ payload: ByteBuffer, isText: Bool) {
        guard phase == .open, let session else { return }
        if isText {
            let valid = payload.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
            guard valid else {
                failConnection(.invalidPayload, "text frame is not valid UTF-8")
                return
            }
            session.received(.text(payload))
        } else {
            session.received(.binary(payload))
        }
    }

    // MARK: Closing

    /// A close frame from the client: answers it (when we had not sent ours) and ends the TCP
    /// connection once the answer is written.
    private func receivedClose(_ payload: ByteBuffer, context: ChannelHandlerContext) {
        var payload = payload
        var code: TransportCloseCode?
        var reason = ""
        if payload.readableBytes >= 2, let raw = payload.readInteger(as: UInt16.self) {
            code = TransportCloseCode(rawValue: raw)
            let valid = payload.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
            reason = valid ? (payload.readString(length: payload.readableBytes) ?? "") : ""
        } else if payload.readableBytes == 1 {
            failConnection(.protocolError, "close frame with a one-byte payload")
            return
        }
        switch phase {
        case .open:
            phase = .closing
            occasional.closeCode = code
            occasional.closeReason = reason
            markClosed()
            var echo = context.channel.allocator.buffer(capacity: 4)
            WebSocketFrameParser.writeHeader(opcode: .close, length: code == nil ? 0 : 2, into: &echo)
            if let code { echo.writeInteger(code.rawValue) }
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(echo)).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .closing:
            context.close(promise: nil)
        case .closed:
            break
        }
    }

    /// Starts the closing handshake from the server side: writes what is queued, then the close
    /// frame, and drops the connection when the client answers or the handshake times out.
    private func beginClose(code: TransportCloseCode, reason: String) {
        guard phase == .open else { return }
        writeBacklog(force: true)
        phase = .closing
        occasional.closeCode = code
        occasional.closeReason = reason
        markClosed()
        // Without a context the upgrade is still in flight; `handlerAdded` sends the frame.
        if let context {
            sendCloseFrame(context: context)
        }
    }

    private func sendCloseFrame(context: ChannelHandlerContext) {
        let closing = occasional
        let code = closing.closeCode ?? .normal
        var data = context.channel.allocator.buffer(capacity: 2 + min(closing.closeReason.utf8.count, 123))
        data.writeInteger(code.rawValue)
        // Control frames carry at most 125 bytes.
        data.writeBytes(closing.closeReason.utf8.prefix(123))
        writeControl(.close, payload: data, context: context)
        let channel = context.channel
        closing.closeTimer = context.eventLoop.scheduleTask(in: limits.closeHandshakeTimeout) {
            channel.close(promise: nil)
        }
    }

    /// A protocol violation by the client: start closing with `code` (what the client sends
    /// after that, except its close frame, is ignored; the handshake timeout ends the
    /// connection).
    private func failConnection(_ code: TransportCloseCode, _ reason: String) {
        occasionalState?.fragments = nil
        beginClose(code: code, reason: reason)
    }

    /// No more frames are accepted; queued ones are dropped.
    private func markClosed() {
        shared.withLock { state in
            state.closed = true
            state.queued = 0
            state.pending.removeAll()
        }
        backlog.removeAll()
    }

    /// The channel is gone: tell the session once, and forget everything.
    private func finish() {
        guard !finished else { return }
        finished = true
        phase = .closed
        occasionalState?.closeTimer?.cancel()
        occasionalState?.closeTimer = nil
        markClosed()
        occasionalState?.fragments = nil
        inbound = nil
        if let session {
            scheduler.untrack(self)
            registry.webSocketClosed()
            self.session = nil
            session.transportClosed(code: occasionalState?.closeCode, reason: occasionalState?.closeReason ?? "")
        }
    }
}

extension TransportFrame {
    fileprivate var bytes: ByteBuffer {
        switch self {
        case .text(let bytes), .binary(let bytes): bytes
        }
    }

    fileprivate var opcode: WebSocketFrameParser.Opcode {
        switch self {
        case .text: .text
        case .binary: .binary
        }
    }
}
