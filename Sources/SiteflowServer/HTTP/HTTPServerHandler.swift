import NIOCore
import NIOHTTP1
import NIOWebSocket
import SiteflowRealtime

/// Serves the plain HTTP requests of one connection: the route table, the long-poll transport,
/// refused WebSocket upgrades, and clear 4xx answers for everything else.
final class HTTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: RouteTable
    private let longPoll: LongPollTransport
    private let negotiation: UpgradeNegotiation
    private let webSocketPath: String
    private let longPollPath: String
    private let maxBodySize: Int
    private let requestGuard: RequestGuard
    private let statistics: SocketStatistics

    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var parked: (session: LongPollSession, waiter: LongPollWaiter)?

    init(
        routes: RouteTable,
        longPoll: LongPollTransport,
        negotiation: UpgradeNegotiation,
        configuration: ServerConfiguration,
        requestGuard: RequestGuard,
        statistics: SocketStatistics
    ) {
        self.routes = routes
        self.longPoll = longPoll
        self.negotiation = negotiation
        self.webSocketPath = configuration.socketPath + "/websocket"
        self.longPollPath = configuration.socketPath + "/longpoll"
        self.maxBodySize = configuration.maxRequestBodySize
        self.requestGuard = requestGuard
        self.statistics = statistics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            // Refused from its declared length, before a byte of the body is read.
            if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared > maxBodySize {
                refuseBody(of: head, context: context)
            }
        case .body(var chunk):
            guard let head else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodySize {
                // A body without a length (chunked) is refused as soon as it passes the limit.
                refuseBody(of: head, context: context)
            } else if body == nil {
                body = chunk
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            serve(head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        negotiation.httpConnectionClosed()
        if let parked {
            self.parked = nil
            parked.session.abandon(parked.waiter)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused or malformed upgrade is reported here and then answered as a plain request.
        if error is HTTPServerUpgradeErrors || error is NIOWebSocketUpgradeError {
            return
        }
        context.close(promise: nil)
    }

    // MARK: Routing

    private func refuseBody(of head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.head = nil
        body = nil
        statistics.increment(.requestBodiesTooLarge)
        write(.text(.payloadTooLarge, "request body larger than \(maxBodySize) bytes"), head: head, keepAlive: false, lingering: true, context: context)
    }

    private func serve(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let target = RequestTarget(uri: head.uri)
        let keepAlive = head.isKeepAlive
        if head.version.major == 1, head.version.minor >= 1, !head.headers.contains(name: "host") {
            statistics.increment(.requestsWithoutHost)
            write(.text(.badRequest, "an HTTP/1.1 request needs a Host header"), head: head, keepAlive: false, context: context)
            return
        }
        switch target.path {
        case webSocketPath:
            if let refusal = negotiation.refusal {
                negotiation.refusal = nil
                write(
                    .text(HTTPResponseStatus(statusCode: refusal.status), refusal.reason, headers: refusal.headers),
                    head: head, keepAlive: false, context: context
                )
            } else if head.headers.contains(name: "upgrade") {
                write(.text(.badRequest, "invalid WebSocket upgrade: GET with Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version: 13 required"), head: head, keepAlive: false, context: context)
            } else {
                write(.text(.badRequest, "\(webSocketPath) expects a WebSocket upgrade"), head: head, keepAlive: keepAlive, context: context)
            }
        case longPollPath:
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let handlerBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            parked = longPoll.handle(
                method: head.method,
                target: target,
                headers: head.headers,
                body: body,
                remoteAddress: context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" },
                eventLoop: context.eventLoop
            ) { reply in
                handlerBound.value.parked = nil
                handlerBound.value.write(reply, head: head, keepAlive: keepAlive, context: loopBound.value)
            }
        default:
            let methods = routes.methods(for: target.path)
            guard !methods.isEmpty else {
                write(.text(.notFound, "no route for \(head.method.rawValue) \(target.path)"), head: head, keepAlive: keepAlive, context: context)
                return
            }
            guard let handler = routes.handler(for: target.path, method: head.method.rawValue) else {
                let allowed = methods.joined(separator: ", ")
                var reply = HTTPReply.text(.methodNotAllowed, "\(target.path) accepts \(allowed)")
                reply.headers.add(name: "allow", value: allowed)
                write(reply, head: head, keepAlive: keepAlive, context: context)
                return
            }
            let response = handler(RouteRequest(
                path: target.path,
                queryParameters: target.query,
                headers: head.headers.map { (name: $0.name.lowercased(), value: $0.value) },
                method: head.method.rawValue,
                remoteAddress: context.remoteAddress?.ipAddress
            ))
            var headers = HTTPHeaders()
            for header in response.headers { headers.add(name: header.name, value: header.value) }
            let reply = HTTPReply(
                status: HTTPResponseStatus(statusCode: response.status),
                contentType: response.contentType,
                body: context.channel.allocator.buffer(bytes: response.body),
                headers: headers
            )
            write(reply, head: head, keepAlive: keepAlive, context: context)
        }
        body = nil
    }

    private func write(_ reply: HTTPReply, head: HTTPRequestHead, keepAlive: Bool, lingering: Bool = false, context: ChannelHandlerContext) {
        var responseHead = HTTPResponseHead(version: head.version, status: reply.status, headers: reply.headers)
        responseHead.headers.replaceOrAdd(name: "content-length", value: String(reply.body.readableBytes))
        SecurityHeaders.apply(to: &responseHead.headers)
        if !keepAlive { responseHead.headers.replaceOrAdd(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if lingering {
            requestGuard.linger(after: done)
        } else if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
