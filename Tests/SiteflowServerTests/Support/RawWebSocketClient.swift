import NIOCore
import NIOPosix
import SiteflowRuntimeTesting
import Synchronization

/// What a ``RawWebSocketClient`` saw from the server.
enum RawClientEvent: Sendable, Equatable {
    /// The server's handshake response (status line and headers, up to the blank line).
    case handshake(String)
    /// A server frame (servers do not mask).
    case frame(opcode: UInt8, payload: [UInt8])
    /// The TCP connection ended.
    case disconnected
}

/// A WebSocket client over a plain TCP socket that writes whatever bytes a spec gives it — part
/// of a frame, a flood of pings, a malformed handshake — and reports what the server answers.
/// It answers the server's close frame, as a client does.
final class RawWebSocketClient: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: `received` and `handshakeDone` are touched only on the channel's loop.
    typealias InboundIn = ByteBuffer

    let events = EventQueue<RawClientEvent>()
    private(set) var channel: (any Channel)?
    private var received = ByteBuffer()
    private var handshakeDone = false

    /// Connects and sends `request` verbatim (nothing else).
    static func connect(port: Int, request: String) async throws -> RawWebSocketClient {
        let client = RawWebSocketClient()
        let channel = try await ClientBootstrap(group: TestClientGroup.shared)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(client) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        client.channel = channel
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        return client
    }

    /// Connects and completes a valid opening handshake.
    static func upgraded(port: Int, target: String = "/socket/websocket?vsn=2.0.0") async throws -> RawWebSocketClient {
        let client = try await connect(port: port, request: upgradeRequest(target: target, port: port))
        guard case .handshake(let response) = try await client.next(), response.hasPrefix("HTTP/1.1 101") else {
            throw RawClientError.handshakeRefused
        }
        return client
    }

    /// A well-formed upgrade request; `headers` replace the defaults of the same name
    /// (a value of `nil` drops the header).
    static func upgradeRequest(target: String = "/socket/websocket?vsn=2.0.0", port: Int, headers: [String: String?] = [:]) -> String {
        var fields: [(String, String?)] = [
            ("Host", "127.0.0.1:\(port)"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ]
        for (name, value) in headers {
            if let index = fields.firstIndex(where: { $0.0.lowercased() == name.lowercased() }) {
                fields[index].1 = value
            } else {
                fields.append((name, value))
            }
        }
        var text = "GET \(target) HTTP/1.1\r\n"
        for (name, value) in fields { if let value { text += "\(name): \(value)\r\n" } }
        return text + "\r\n"
    }

    /// The next event, failing the spec after a generous safety timeout.
    func next() async throws -> RawClientEvent {
        try await events.next(within: .seconds(20))
    }

    /// Waits for the server's close frame and returns its code and reason.
    func nextClose() async throws -> (code: UInt16?, reason: String) {
        while true {
            switch try await next() {
            case .frame(0x8, let payload):
                guard payload.count >= 2 else { return (nil, "") }
                return (UInt16(payload[0]) << 8 | UInt16(payload[1]), String(decoding: payload[2...], as: UTF8.self))
            case .disconnected:
                throw RawClientError.disconnectedWithoutClose
            default:
                continue
            }
        }
    }

    /// Waits until the server drops the TCP connection.
    func waitForDisconnect() async throws {
        while try await next() != .disconnected {}
    }

    /// Writes `bytes` as they are.
    @discardableResult
    func write(_ bytes: [UInt8]) -> EventLoopFuture<Void> {
        guard let channel else { return TestClientGroup.shared.next().makeSucceededVoidFuture() }
        return channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// A masked client frame.
    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            bytes.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 65_535 {
            bytes.append(0x80 | 126)
            bytes.append(contentsOf: [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)])
        } else {
            bytes.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        bytes.append(contentsOf: mask)
        for (index, byte) in payload.enumerated() { bytes.append(byte ^ mask[index % 4]) }
        return bytes
    }

    /// A close frame with `code` and the raw `reason` bytes.
    static func closeFrame(code: UInt16, reason: [UInt8] = []) -> [UInt8] {
        frame(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
    }

    /// Stops (or resumes) reading what the server sends.
    func setReading(_ reading: Bool) async throws {
        guard let channel else { return }
        try await channel.setOption(.autoRead, value: reading).get()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        if !handshakeDone {
            let view = received.readableBytesView
            guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let length = end.upperBound - view.startIndex
            let head = received.readString(length: length) ?? ""
            handshakeDone = true
            events.push(.handshake(head))
        }
        while let (opcode, payload) = nextFrame() {
            events.push(.frame(opcode: opcode, payload: payload))
            if opcode == 0x8 {
                // Answer the server's close as a client does, so the handshake completes.
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: Self.frame(opcode: 0x8, payload: []))), promise: nil)
            }
        }
        received.discardReadBytes()
    }

    private func nextFrame() -> (UInt8, [UInt8])? {
        let start = received.readerIndex
        guard let first = received.getInteger(at: start, as: UInt8.self),
            let second = received.getInteger(at: start + 1, as: UInt8.self)
        else { return nil }
        var header = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = received.getInteger(at: start + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            header += 2
        } else if length == 127 {
            guard let extended = received.getInteger(at: start + 2, as: UInt64.self) else { return nil }
            length = Int(extended)
            header += 8
        }
        guard received.readableBytes >= header + length else { return nil }
        received.moveReaderIndex(forwardBy: header)
        let payload = received.readBytes(length: length) ?? []
        return (first & 0x0F, payload)
    }

    func channelInactive(context: ChannelHandlerContext) {
        events.push(.disconnected)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Why a ``RawWebSocketClient`` spec could not go on.
enum RawClientError: Error {
    case handshakeRefused
    case disconnectedWithoutClose
}
