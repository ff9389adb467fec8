#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import SiteflowRealtime

/// Pauses accepting for ``pause`` when accept fails for want of descriptors or memory (EMFILE,
/// ENFILE, ENOBUFS, ENOMEM), counting each failure as `acceptBackoffs`.
///
/// The failed connection stays in the listen queue, so the listening socket stays readable and
/// an event loop would retry at once, forever (100% CPU). NIO's `AcceptBackoffHandler` cannot
/// stop that here: after a failed accept the channel still has its read pending, so the
/// handler's delayed read never comes into play and the socket stays registered. Turning
/// `autoRead` off unregisters it until the pause ends.
final class AcceptPause: ChannelInboundHandler {
    typealias InboundIn = any NIOCore.Channel

    /// How long accepting pauses after such a failure.
    static let pause = TimeAmount.milliseconds(100)

    private let statistics: SocketStatistics
    private var paused = false

    init(statistics: SocketStatistics) {
        self.statistics = statistics
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(ioError.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        statistics.increment(.acceptBackoffs)
        guard !paused, let options = context.channel.syncOptions else { return }
        paused = true
        try? options.setOption(.autoRead, value: false)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: Self.pause) {
            handler.value.paused = false
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }
}
