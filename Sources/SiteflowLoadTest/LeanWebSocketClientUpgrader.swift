import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The client's WebSocket upgrader: NIO's handshake (a random `Sec-WebSocket-Key`, the
/// `Sec-WebSocket-Accept` check), but after the 101 it installs only what `upgradePipeline`
/// adds — not NIO's frame encoder and decoder — because ``WebSocketClientConnection`` parses and
/// frames with the shared codec itself, so a connection has a single handler.
final class LeanWebSocketClientUpgrader: NIOHTTPClientProtocolUpgrader, Sendable {
    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []

    private let handshake: NIOWebSocketClientUpgrader
    private let upgradePipeline: @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<Void>

    /// An upgrader that calls `upgradePipeline` once the server's 101 has been checked.
    init(upgradePipeline: @escaping @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<Void>) {
        self.upgradePipeline = upgradePipeline
        self.handshake = NIOWebSocketClientUpgrader(automaticErrorHandling: false) { channel, _ in
            channel.eventLoop.makeSucceededVoidFuture()
        }
    }

    func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        handshake.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
    }

    func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        handshake.shouldAllowUpgrade(upgradeResponse: upgradeResponse)
    }

    func upgrade(context: ChannelHandlerContext, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Void> {
        upgradePipeline(context.channel, upgradeResponse)
    }
}
