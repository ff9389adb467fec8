import NIOCore
import NIOWebSocket
import SiteflowRealtime
import Synchronization

/// The server side of one upgraded WebSocket: a single NIO channel handler that validates and
/// reassembles the client's frames and hands them straight to the ``TransportSession``, and that
/// writes the socket layer's frames through a bounded queue.
///
/// There is no task and no async sequence per connection: after the upgrade a connection costs
/// this object, its channel and NIO's frame codec. `send` and `close` may be called from any
/// thread; frames sent from other threads are batched and handed to the event loop with one hop
/// per batch, and one flush per batch.
final class WebSocketConnection: ChannelInboundHandler, TransportConnection, @unchecked Sendable {
    // @unchecked Sendable: the cross-thread state lives in `shared` (a Mutex); every other
    // stored `var` is touched only on `eventLoop` (handler callbacks and `drain`, which runs
    // there via `execute`).
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// The limits one connection enforces (taken from ``ServerConfiguration``).
    struct Limits: Sendable {
        var maxMessageSize: Int
        var outboundQueueLimit: Int
        var closeHandshakeTimeout: TimeAmount
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

    let eventLoop: any EventLoop
    private let limits: Limits
    private let registry: ConnectionRegistry
    private let shared = Mutex(SharedState())

    // Event-loop state.
    private var session: (any TransportSession)?
    private var context: ChannelHandlerContext?
    private var backlog: [TransportFrame] = []
    private var drainBuffer: [TransportFrame] = []
    private var fragments: ByteBuffer?
    private var fragmentIsText = false
    private var phase = Phase.open
    private var closeCode: TransportCloseCode?
    private var closeReason = ""
    private var closeTimer: Scheduled<Void>?
    private var finished = false

    init(eventLoop: any EventLoop, limits: Limits, registry: ConnectionRegistry) {
        self.eventLoop = eventLoop
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
        registry.insert(self)
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
            eventLoop.execute { self.drain() }
        }
        return accepted
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
            eventLoop.execute { self.drain() }
        }
    }

    // MARK: Outbound path (event loop)

    /// Moves the frames queued by `send` into the channel (or the backlog while the channel is
    /// not writable), flushes once, then performs a requested close.
    private func drain() {
        let closeRequest = shared.withLock { state -> (code: TransportCloseCode, reason: String)? in
            swap(&state.pending, &drainBuffer)
            state.drainScheduled = false
            let request = state.closeRequest
            state.closeRequest = nil
            return request
        }
        if !drainBuffer.isEmpty {
            if backlog.isEmpty, phase == .open, let context, context.channel.isActive {
                var written = 0
                for frame in drainBuffer {
                    guard context.channel.isWritable else { break }
                    context.write(wrapOutboundOut(webSocketFrame(frame)), promise: nil)
                    written += 1
                }
                if written < drainBuffer.count {
                    backlog.append(contentsOf: drainBuffer[written...])
                }
                if written > 0 {
                    context.flush()
                    shared.withLock { $0.queued -= written }
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

    /// Writes backlog frames while the channel is writable (all of them when `force`), and
    /// flushes them.
    private func writeBacklog(force: Bool = false) {
        guard let context, !backlog.isEmpty, phase == .open, context.channel.isActive else { return }
        var written = 0
        for frame in backlog {
            if !force, !context.channel.isWritable { break }
            context.write(wrapOutboundOut(webSocketFrame(frame)), promise: nil)
            written += 1
        }
        if written == backlog.count {
            backlog.removeAll()
        } else {
            backlog.removeFirst(written)
        }
        if written > 0 {
            context.flush()
            shared.withLock { $0.queued -= written }
        }
    }

    private func webSocketFrame(_ frame: TransportFrame) -> WebSocketFrame {
        switch frame {
        case .text(let bytes): WebSocketFrame(fin: true, opcode: .text, data: bytes)
        case .binary(let bytes): WebSocketFrame(fin: true, opcode: .binary, data: bytes)
        }
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
        if context.channel.isWritable {
            writeBacklog()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard phase != .closed else { return }
        guard let maskKey = frame.maskKey else {
            failConnection(.protocolError, "client frames must be masked")
            return
        }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            failConnection(.protocolError, "no extension was negotiated (reserved bits set)")
            return
        }
        var payload = frame.data
        payload.webSocketUnmask(maskKey)

        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else {
                failConnection(.protocolError, "a new message began before the fragmented one ended")
                return
            }
            let isText = frame.opcode == .text
            if frame.fin {
                deliver(payload, isText: isText)
            } else {
                fragments = payload
                fragmentIsText = isText
            }
        case .continuation:
            guard var buffer = fragments else {
                failConnection(.protocolError, "a continuation frame without a message to continue")
                return
            }
            fragments = nil
            guard buffer.readableBytes + payload.readableBytes <= limits.maxMessageSize else {
                failConnection(.messageTooBig, "message larger than \(limits.maxMessageSize) bytes")
                return
            }
            buffer.writeBuffer(&payload)
            if frame.fin {
                deliver(buffer, isText: fragmentIsText)
            } else {
                fragments = buffer
            }
        case .ping:
            guard phase == .open else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: payload)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            receivedClose(payload, context: context)
        default:
            failConnection(.protocolError, "unknown opcode")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // While closing, the decoder may complain about the rest of a broken stream: the close
        // frame is out, so wait for the client's answer (or the timeout) instead of resetting
        // the connection and losing that frame.
        guard phase == .open else { return }
        if let error = error as? NIOWebSocketError {
            switch error {
            case .invalidFrameLength:
                failConnection(.messageTooBig, "frame larger than \(limits.maxMessageSize) bytes")
            default:
                failConnection(.protocolError, "malformed frame")
            }
        } else {
            context.close(promise: nil)
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
            closeCode = code
            closeReason = reason
            markClosed()
            var echo = context.channel.allocator.buffer(capacity: 2)
            if let code { echo.writeInteger(code.rawValue) }
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: echo)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in
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
        closeCode = code
        closeReason = reason
        markClosed()
        // Without a context the upgrade is still in flight; `handlerAdded` sends the frame.
        if let context {
            sendCloseFrame(context: context)
        }
    }

    private func sendCloseFrame(context: ChannelHandlerContext) {
        let code = closeCode ?? .normal
        var data = context.channel.allocator.buffer(capacity: 2 + min(closeReason.utf8.count, 123))
        data.writeInteger(code.rawValue)
        // Control frames carry at most 125 bytes.
        data.writeBytes(closeReason.utf8.prefix(123))
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
        let channel = context.channel
        closeTimer = context.eventLoop.scheduleTask(in: limits.closeHandshakeTimeout) {
            channel.close(promise: nil)
        }
    }

    /// A protocol violation by the client: start closing with `code` (later violations while
    /// closing are ignored; the handshake timeout ends the connection).
    private func failConnection(_ code: TransportCloseCode, _ reason: String) {
        fragments = nil
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
        closeTimer?.cancel()
        closeTimer = nil
        markClosed()
        fragments = nil
        registry.remove(self)
        if let session {
            self.session = nil
            session.transportClosed(code: closeCode, reason: closeReason)
        }
    }
}
