import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A raw TCP client for the limit specs: sends exactly the bytes it is given (partial requests,
/// oversized heads) and keeps everything the server sends, until the server closes.
final class RawTCPClient: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case stillOpen(after: Duration, received: String)
        case noResponse(received: String)
        var description: String {
            switch self {
            case .stillOpen(let after, let received): return "the server did not close the connection within \(after); it sent: \(received)"
            case .noResponse(let received): return "the connection closed before a complete response; it sent: \(received)"
            }
        }
    }

    private let channel: any Channel
    private let collector: ByteCollector

    private init(channel: any Channel, collector: ByteCollector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to `port` on 127.0.0.1, from `sourceAddress` when given (another loopback
    /// address, to be a different client address).
    static func connect(port: Int, from sourceAddress: String? = nil) async throws -> RawTCPClient {
        let collector = ByteCollector()
        var bootstrap = ClientBootstrap(group: TestClientGroup.shared)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
        if let sourceAddress { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: sourceAddress, port: 0)) }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return RawTCPClient(channel: channel, collector: collector)
    }

    /// Sends `text` as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Whether the connection is still open.
    var isOpen: Bool { channel.isActive }

    /// Everything the server sent so far.
    var received: String { collector.text }

    /// Waits for the server to close the connection (failing after `limit`, a safety bound),
    /// and returns everything it sent.
    func untilClosed(within limit: Duration = .seconds(8)) async throws -> String {
        let deadline = ContinuousClock.now + limit
        // Polled: the close is the event waited for, the deadline only a bound.
        while channel.isActive {
            guard ContinuousClock.now < deadline else { throw Failure.stillOpen(after: limit, received: received) }
            try await Task.sleep(for: .milliseconds(5))
        }
        try? await channel.closeFuture.get()
        return received
    }

    /// Waits until the server sent a complete response whose body is `Content-Length` long
    /// (failing after `limit`), and returns it; the connection stays open.
    func response(within limit: Duration = .seconds(8)) async throws -> String {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let text = received
            if let split = text.range(of: "\r\n\r\n") {
                let head = text[..<split.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<split.upperBound].utf8.count >= length {
                    collector.clear()
                    return text
                }
            }
            guard channel.isActive else { throw Failure.noResponse(received: text) }
            // Polled: the response's arrival is the event waited for, the deadline only a bound.
            try await Task.sleep(for: .milliseconds(5))
        }
        throw Failure.noResponse(received: received)
    }

    /// Closes the connection from this side.
    func close() async {
        try? await channel.close()
    }
}

/// Keeps the bytes a ``RawTCPClient`` receives.
private final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let bytes = Mutex<[UInt8]>([])

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }

    func clear() { bytes.withLock { $0 = [] } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0 += buffer.readableBytesView }
    }
}
