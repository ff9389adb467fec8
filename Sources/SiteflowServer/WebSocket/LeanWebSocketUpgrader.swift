import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket upgrader of the server: our handshake checks (``WebSocketHandshakeCheck``: a
/// malformed request gets 400 with its reason), NIO's handshake (`Sec-WebSocket-Accept`, the
/// endpoint's decision through `shouldUpgrade`), but after the 101 it installs only our
/// ``WebSocketConnection`` — not NIO's frame encoder and decoder — so an upgraded connection
/// has a single handler.
final class LeanWebSocketUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []

    private let handshake: NIOWebSocketServerUpgrader
    private let negotiation: UpgradeNegotiation

    init(negotiation: UpgradeNegotiation) {
        self.negotiation = negotiation
        self.handshake = NIOWebSocketServerUpgrader(
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in negotiation.shouldUpgrade(channel: channel, head: head) },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() }
        )
    }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        guard negotiation.acceptsHandshake(upgradeRequest) else {
            return channel.eventLoop.makeFailedFuture(NIOWebSocketUpgradeError.invalidUpgradeHeader)
        }
        return handshake.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        negotiation.upgradePipeline(channel: context.channel)
    }
}
