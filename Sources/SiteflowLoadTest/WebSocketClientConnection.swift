public import NIOCore
public import NIOWebSocket

/// One client WebSocket: a single NIO channel handler that parses the server's frames in place
/// (``ServerFrameParser``), masks what it sends, reassembles fragmented messages, answers pings
/// and the close handshake, and reports to its delegate.
///
/// No task per connection: thousands of these share one event-loop group in the load tester.
/// Every method may be called from any thread.
public final class WebSocketClientConnection: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: the mutable state below is touched only on `eventLoop` (handler
    // callbacks, and public methods hop there first).
    /// The bytes the server sent, as read from the socket.
    public typealias InboundIn = ByteBuffer
    /// Frames for NIO's encoder (masked by us).
    public typealias OutboundOut = WebSocketFrame

    /// The event loop that serves this connection.
    public let eventLoop: any EventLoop
    /// The subprotocol the server chose (`Sec-WebSocket-Protocol` of the 101), if any.
    public let subprotocol: String?
    private weak var delegate: (any WebSocketClientDelegate)?
    private var context: ChannelHandlerContext?
    private let parser: ServerFrameParser
    /// The start of a frame whose rest has not arrived yet.
    private var partial: ByteBuffer?
    private var fragments: ByteBuffer?
    private var fragmentIsText = false
    private var closeSent = false
    private var reported = false

    init(eventLoop: any EventLoop, subprotocol: String?, maxFrameSize: Int, delegate: any WebSocketClientDelegate) {
        self.eventLoop = eventLoop
        self.subprotocol = subprotocol
        self.parser = ServerFrameParser(maxPayloadSize: maxFrameSize)
        self.delegate = delegate
    }

    // MARK: Sending

    /// Sends a text message.
    public func sendText(_ text: String) {
        send(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
    }

    /// Sends a text message whose bytes are already encoded.
    public func sendText(_ bytes: ByteBuffer) {
        send(WebSocketFrame(fin: true, opcode: .text, data: bytes))
    }

    /// Sends a binary message.
    public func sendBinary(_ bytes: ByteBuffer) {
        send(WebSocketFrame(fin: true, opcode: .binary, data: bytes))
    }

    /// Sends a ping; the server's pong arrives as ``WebSocketClientMessage/pong(_:)``.
    public func ping(_ bytes: ByteBuffer = ByteBuffer()) {
        send(WebSocketFrame(fin: true, opcode: .ping, data: bytes))
    }

    /// Sends any frame as given, masked with a random key unless `masked` is false (tests use
    /// this to send fragments, invalid UTF-8 and unmasked frames).
    public func send(_ frame: WebSocketFrame, masked: Bool = true) {
        var frame = frame
        if masked, frame.maskKey == nil { frame.maskKey = .random() }
        if !masked { frame.maskKey = nil }
        let ready = frame
        if eventLoop.inEventLoop {
            write(ready)
        } else {
            eventLoop.execute { self.write(ready) }
        }
    }

    /// Starts the closing handshake with `code` and `reason`.
    public func close(code: UInt16 = 1000, reason: String = "") {
        var data = ByteBuffer()
        data.writeInteger(code)
        data.writeString(reason)
        send(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
    }

    /// Stops (`false`) or resumes (`true`) reading from the socket, as a slow consumer would:
    /// what the server sends meanwhile waits in the kernel's buffers and the server's queue.
    public func setReading(_ reading: Bool) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            guard let channel = self.context?.channel else { return self.eventLoop.makeSucceededVoidFuture() }
            return channel.setOption(ChannelOptions.autoRead, value: reading)
        }
    }

    /// Drops the TCP connection without a close frame.
    public func disconnect() {
        eventLoop.execute { self.context?.close(promise: nil) }
    }

    private func write(_ frame: WebSocketFrame) {
        guard let context, !closeSent else { return }
        if frame.opcode == .connectionClose { closeSent = true }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    // MARK: Receiving

    /// NIO callback: the connection is ready to send.
    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// NIO callback: reports the end to the delegate if it has not been reported.
    public func handlerRemoved(context: ChannelHandlerContext) {
        report(code: nil, reason: "connection lost")
        self.context = nil
    }

    /// NIO callback: the TCP connection is gone; reported once to the delegate.
    public func channelInactive(context: ChannelHandlerContext) {
        report(code: nil, reason: "connection lost")
        context.fireChannelInactive()
    }

    /// NIO callback: any error ends the connection.
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// NIO callback: bytes from the server; every complete frame in them is handled in order.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var partial {
            self.partial = nil
            partial.writeBuffer(&buffer)
            buffer = partial
        }
        while context.channel.isActive {
            switch parser.next(from: &buffer) {
            case .frame(let frame):
                handle(frame, context: context)
            case .needMoreData:
                if buffer.readableBytes > 0 {
                    // Keep only the unparsed bytes, not the whole read buffer.
                    var rest = context.channel.allocator.buffer(capacity: buffer.readableBytes)
                    rest.writeBuffer(&buffer)
                    partial = rest
                }
                return
            case .violation(let code, let reason):
                if !closeSent {
                    var data = ByteBuffer()
                    data.writeInteger(code)
                    data.writeString(reason)
                    write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
                }
                report(code: nil, reason: "the server broke the WebSocket protocol: \(reason)")
                context.close(promise: nil)
                return
            }
        }
    }

    private func handle(_ frame: ServerFrameParser.Frame, context: ChannelHandlerContext) {
        var payload = frame.payload
        switch frame.opcode {
        case 0x1, 0x2:
            if frame.fin {
                deliver(payload, isText: frame.opcode == 0x1)
            } else {
                fragments = payload
                fragmentIsText = frame.opcode == 0x1
            }
        case 0x0:
            guard var buffer = fragments else { return }
            buffer.writeBuffer(&payload)
            if frame.fin {
                fragments = nil
                deliver(buffer, isText: fragmentIsText)
            } else {
                fragments = buffer
            }
        case 0x9:
            send(WebSocketFrame(fin: true, opcode: .pong, data: payload))
        case 0xA:
            delegate?.webSocket(self, received: .pong(payload))
        case 0x8:
            var code: UInt16?
            var reason = ""
            if let raw = payload.readInteger(as: UInt16.self) {
                code = raw
                reason = payload.readString(length: payload.readableBytes) ?? ""
            }
            if !closeSent {
                var echo = ByteBuffer()
                if let code { echo.writeInteger(code) }
                write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo))
            }
            report(code: code, reason: reason)
            context.close(promise: nil)
        default:
            break
        }
    }

    private func deliver(_ payload: ByteBuffer, isText: Bool) {
        delegate?.webSocket(self, received: isText ? .text(payload) : .binary(payload))
    }

    private func report(code: UInt16?, reason: String) {
        guard !reported else { return }
        reported = true
        delegate?.webSocketClosed(self, code: code, reason: reason)
    }
}
