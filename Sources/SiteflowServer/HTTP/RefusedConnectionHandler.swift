import NIOCore
import NIOHTTP1

/// The whole pipeline of a connection refused at accept (too many connections): it answers
/// `status` with `reason` as soon as the connection is active and lingers as ``LingeringClose``.
final class RefusedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let status: HTTPResponseStatus
    private let reason: String
    private let linger: TimeAmount

    init(status: HTTPResponseStatus, reason: String, linger: TimeAmount) {
        self.status = status
        self.reason = reason
        self.linger = linger
    }

    func channelActive(context: ChannelHandlerContext) {
        let response = LingeringClose.response(status, reason: reason, allocator: context.channel.allocator)
        let written = context.writeAndFlush(NIOAny(response))
        LingeringClose.start(after: written, channel: context.channel, linger: linger)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The client's request is not served; drop it.
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
