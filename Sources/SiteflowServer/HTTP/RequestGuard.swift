import NIOCore
import NIOHTTP1
import SiteflowRealtime

/// Bounds how one HTTP connection sends its requests, against slow and oversized clients
/// (slowloris): a request head may take at most `maxHeadBytes` (431), counts toward the
/// server's ``RequestHeadBudget`` while incomplete (503), and must be complete, body included,
/// within `readTimeout` of its first byte (408); a keep-alive connection with no request in
/// flight is closed after `idleTimeout`, and a new connection that sends nothing after the
/// longer of the two (it is idle and about to send a request at once). It is the first handler (it sees the raw bytes); a ``RequestBoundaryWatcher``
/// behind the HTTP decoder tells it where requests begin and end. It is removed when the
/// connection is upgraded to a WebSocket.
final class RequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The limits of one connection.
    struct Limits: Sendable {
        var maxHeadBytes: Int
        var readTimeout: TimeAmount
        var idleTimeout: TimeAmount
        /// How long a refused connection is read and dropped before it is closed.
        var linger: TimeAmount
    }

    private enum Timer {
        case none
        case reading(Scheduled<Void>)
        case idle(Scheduled<Void>)
    }

    private let limits: Limits
    private let budget: RequestHeadBudget
    private let statistics: SocketStatistics
    private var context: ChannelHandlerContext?
    private var timer = Timer.none
    /// Bytes of the current request head, reserved from the budget.
    private var headBytes = 0
    /// Whether arriving bytes belong to a request head not decoded yet.
    private var awaitingHead = true
    /// Whether a request began whose end was not decoded yet.
    private var readingRequest = false
    /// Requests read to their end whose response has not ended.
    private var responsesPending = 0
    /// Answered for the last time: input is dropped until the connection closes.
    private var lingering = false
    private var finished = false

    init(limits: Limits, budget: RequestHeadBudget, statistics: SocketStatistics) {
        self.limits = limits
        self.budget = budget
        self.statistics = statistics
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armFirstRequestWait() }
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .none = timer { armFirstRequestWait() }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !lingering else { return }
        let count = unwrapInboundIn(data).readableBytes
        if !readingRequest {
            readingRequest = true
            awaitingHead = true
            armReadDeadline()
        }
        if awaitingHead {
            guard budget.reserve(count) else {
                statistics.increment(.requestHeadBudgetRefusals)
                refuse(.serviceUnavailable, "the server holds too many incomplete requests; try again later")
                return
            }
            headBytes += count
            guard headBytes <= limits.maxHeadBytes else {
                statistics.increment(.requestHeadersTooLarge)
                refuse(.init(statusCode: 431, reasonPhrase: "Request Header Fields Too Large"),
                       "request line and headers larger than \(limits.maxHeadBytes) bytes")
                return
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    // MARK: Request boundaries (from the watcher)

    /// The HTTP decoder produced a request head.
    func headReceived() {
        budget.release(headBytes)
        headBytes = 0
        awaitingHead = false
    }

    /// The HTTP decoder produced the end of a request.
    func requestEnded() {
        readingRequest = false
        responsesPending += 1
        cancelTimer()
    }

    /// A response ended; with nothing in flight the idle timeout starts.
    func responseEnded() {
        responsesPending = max(0, responsesPending - 1)
        if responsesPending == 0, !readingRequest, !lingering, !finished { armIdleTimeout(limits.idleTimeout) }
    }

    /// The connection's last response is being written (`written` completes when it is): drop
    /// what the client still sends, shut the sending side and close within the linger time.
    func linger(after written: EventLoopFuture<Void>) {
        guard let context, !lingering else { return }
        lingering = true
        cancelTimer()
        releaseHead()
        LingeringClose.start(after: written, channel: context.channel, linger: limits.linger)
    }

    // MARK: Deadlines

    private func armReadDeadline() {
        guard !finished, let context else { return }
        if case .reading = timer { return }
        cancelTimer()
        let guardBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = .reading(context.eventLoop.scheduleTask(in: limits.readTimeout) {
            guardBound.value.readDeadlinePassed()
        })
    }

    private func armFirstRequestWait() {
        guard !readingRequest, responsesPending == 0 else { return }
        armIdleTimeout(max(limits.idleTimeout, limits.readTimeout))
    }

    private func armIdleTimeout(_ timeout: TimeAmount) {
        guard !finished, let context else { return }
        cancelTimer()
        let guardBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = .idle(context.eventLoop.scheduleTask(in: timeout) {
            guardBound.value.idleTimeoutPassed()
        })
    }

    private func cancelTimer() {
        switch timer {
        case .none: break
        case .reading(let task), .idle(let task): task.cancel()
        }
        timer = .none
    }

    private func readDeadlinePassed() {
        timer = .none
        guard !finished, !lingering, let context else { return }
        statistics.increment(.requestTimeouts)
        if responsesPending == 0 {
            refuse(.requestTimeout, "request not complete within \(limits.readTimeout.nanoseconds / 1_000_000) ms")
        } else {
            context.close(promise: nil)
        }
    }

    private func idleTimeoutPassed() {
        timer = .none
        guard !finished, !lingering, let context else { return }
        statistics.increment(.keepAliveIdleCloses)
        context.close(promise: nil)
    }

    // MARK: Ending

    private func refuse(_ status: HTTPResponseStatus, _ reason: String) {
        guard let context else { return }
        let response = LingeringClose.response(status, reason: reason, allocator: context.channel.allocator)
        linger(after: context.writeAndFlush(NIOAny(response)))
    }

    private func releaseHead() {
        budget.release(headBytes)
        headBytes = 0
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        cancelTimer()
        releaseHead()
    }
}

/// Sits behind the HTTP decoder and tells the connection's ``RequestGuard`` where requests
/// begin and end and when their responses end.
final class RequestBoundaryWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let requestGuard: RequestGuard

    init(requestGuard: RequestGuard) {
        self.requestGuard = requestGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: requestGuard.headReceived()
        case .body: break
        case .end: requestGuard.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { requestGuard.responseEnded() }
        context.write(data, promise: promise)
    }
}
