public import NIOCore
public import NIOWebSocket
import SiteflowWebSocketCodec

/// One client WebSocket: a single NIO channel handler that parses the server's frames in place
/// and masks what it sends (the shared codec, `SiteflowWebSocketCodec`), reassembles fragmented messages, answers pings
/// and the close handshake, and reports to its delegate.
///
/// No task per connection: thousands of these share one event-loop group in the load tester.
/// Every method may be called from any thread.
public final class WebSocketClientConnection: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: the mutable state below is touched only on `eventLoop` (handler
    // callbacks, and public methods hop there first).
    /// The bytes the server sent, as read from the socket.
    public typealias InboundIn = ByteBuffer
    /// Whole frames, already masked.
    public typealias OutboundOut = ByteBuffer

    /// The event loop that serves this connection.
    public let eventLoop: any EventLoop
    /// The subprotocol the server chose (`Sec-WebSocket-Protocol` of the 101), if any.
    public let subprotocol: String?
    private weak var delegate: (any WebSocketClientDelegate)?
    private var context: ChannelHandlerContext?
    private let parser: WebSocketFrameParser
    private let writer = WebSocketFrameWriter(role: .client)
    /// The start of a frame whose rest has not arrived yet.
    private var partial: ByteBuffer?
    private var fragments: ByteBuffer?
    private var fragmentIsText = false
    private var closeSent = false
    private var reported = false

    init(eventLoop: any EventLoop, subprotocol: String?, maxFrameSize: Int, delegate: any WebSocketClientDelegate) {
        self.eventLoop = eventLoop
        self.subprotocol = subprotocol
        self.parser = WebSocketFrameParser(role: .client, maxPayloadSize: maxFrameSize)
        self.delegate = delegate
    }

    // MARK: Sending

    /// Sends a text message.
    public func sendText(_ text: String) {
        send(opcode: .text, payload: ByteBuffer(string: text))
    }

    /// Sends a text message whose bytes are already encoded.
    public func sendText(_ bytes: ByteBuffer) {
        send(opcode: .text, payload: bytes)
    }

    /// Sends a binary message.
    public func sendBinary(_ bytes: ByteBuffer) {
        send(opcode: .binary, payload: bytes)
    }

    /// Sends a ping; the server's pong arrives as ``WebSocketClientMessage/pong(_:)``.
    public func ping(_ bytes: ByteBuffer = ByteBuffer()) {
        send(opcode: .ping, payload: bytes)
    }

    /// Sends any frame as given (its fin bit, opcode and data; reserved bits and any mask key
    /// are not carried), masked with a fresh random key unless `masked` is false (tests use
    /// this to send fragments, invalid UTF-8 and unmasked frames). A frame whose opcode RFC 6455
    /// does not define is not sent.
    public func send(_ frame: WebSocketFrame, masked: Bool = true) {
        guard let opcode = WebSocketFrameOpcode(rawValue: UInt8(webSocketOpcode: frame.opcode)) else { return }
        send(fin: frame.fin, opcode: opcode, payload: frame.data, masked: masked)
    }

    private func send(fin: Bool = true, opcode: WebSocketFrameOpcode, payload: ByteBuffer, masked: Bool = true) {
        let bytes: ByteBuffer
        if masked {
            bytes = writer.frame(fin: fin, opcode: opcode, payload: payload)
        } else {
            var unmasked = ByteBuffer()
            WebSocketFrameWriter(role: .server).writeFrame(fin: fin, opcode: opcode, payload: payload, into: &unmasked)
            bytes = unmasked
        }
        let isClose = opcode == .close
        if eventLoop.inEventLoop {
            write(bytes, isClose: isClose)
        } else {
            eventLoop.execute { self.write(bytes, isClose: isClose) }
        }
    }

    /// Starts the closing handshake with `code` and `reason`.
    public func close(code: UInt16 = 1000, reason: String = "") {
        var data = ByteBuffer()
        data.writeInteger(code)
        data.writeString(reason)
        send(opcode: .close, payload: data)
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

    private func write(_ frame: ByteBuffer, isClose: Bool) {
        guard let context, !closeSent else { return }
        if isClose { closeSent = true }
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
            case .violation(let violation):
                if !closeSent {
                    var data = ByteBuffer()
                    WebSocketCloseBody(code: violation.closeCode, reason: violation.reason).write(into: &data)
                    write(writer.frame(opcode: .close, payload: data), isClose: true)
                }
                report(code: nil, reason: "the server broke the WebSocket protocol: \(violation.reason)")
                context.close(promise: nil)
                return
            }
        }
    }

    private func handle(_ frame: WebSocketFrameParser.Frame, context: ChannelHandlerContext) {
        var payload = frame.payload
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                deliver(payload, isText: frame.opcode == .text)
            } else {
                fragments = payload
                fragmentIsText = frame.opcode == .text
            }
        case .continuation:
            guard var buffer = fragments else { return }
            buffer.writeBuffer(&payload)
            if frame.fin {
                fragments = nil
                deliver(buffer, isText: fragmentIsText)
            } else {
                fragments = buffer
            }
        case .ping:
            send(opcode: .pong, payload: payload)
        case .pong:
            delegate?.webSocket(self, received: .pong(payload))
        case .close:
            // A close body that breaks the rules is answered with 1002 (or 1007), as §7.4 asks.
            let body: WebSocketCloseBody
            let echo: WebSocketCloseBody
            do throws(WebSocketProtocolViolation) {
                body = try WebSocketCloseBody(decoding: payload)
                echo = WebSocketCloseBody(code: body.code)
            } catch {
                body = WebSocketCloseBody(code: nil, reason: "the server sent a bad close frame: \(error.reason)")
                echo = WebSocketCloseBody(code: error.closeCode, reason: error.reason)
            }
            if !closeSent {
                var data = ByteBuffer()
                echo.write(into: &data)
                write(writer.frame(opcode: .close, payload: data), isClose: true)
            }
            report(code: body.code, reason: body.reason)
            context.close(promise: nil)
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
