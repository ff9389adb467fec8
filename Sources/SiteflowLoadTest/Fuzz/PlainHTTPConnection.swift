import NIOCore
import NIOHTTP1
import NIOPosix

/// A plain HTTP/1.1 client connection for the long-poll fuzzer: one request at a time,
/// kept alive; a request fails when the server closes the connection before answering.
final class PlainHTTPConnection: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: mutable state is touched only on the channel's event loop.
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// An answer: its status and body.
    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    /// The connection closed before the answer.
    struct Dropped: Error {}

    private let channel: any Channel
    private let host: String
    private var context: ChannelHandlerContext?
    private var pending: EventLoopPromise<Response>?
    private var status = 0
    private var body = ByteBuffer()

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    /// Connects to `host:port`.
    static func connect(host: String, port: Int, on eventLoop: any EventLoop) async throws -> PlainHTTPConnection {
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port).get()
        return try await eventLoop.submit {
            let connection = PlainHTTPConnection(channel: channel, host: "\(host):\(port)")
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(connection)
            return connection
        }.get()
    }

    /// `true` while the TCP connection is open.
    var isActive: Bool { channel.isActive }

    /// Sends one request and waits for its answer.
    func request(_ method: HTTPMethod, _ uri: String, contentType: String? = nil, body: ByteBuffer? = nil) async throws -> Response {
        try await channel.eventLoop.flatSubmit { [self] in
            let promise = channel.eventLoop.makePromise(of: Response.self)
            guard pending == nil, channel.isActive, let context else {
                promise.fail(Dropped())
                return promise.futureResult
            }
            pending = promise
            status = 0
            self.body.clear()
            var headers = HTTPHeaders()
            headers.add(name: "host", value: host)
            if let contentType { headers.add(name: "content-type", value: contentType) }
            if let body { headers.add(name: "content-length", value: String(body.readableBytes)) }
            context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers))), promise: nil)
            if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return promise.futureResult
        }.get()
    }

    /// Closes the connection.
    func close() {
        channel.close(promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var chunk):
            if body.readableBytes < 64 * 1024 { body.writeBuffer(&chunk) }
        case .end:
            let answered = pending
            pending = nil
            answered?.succeed(Response(status: status, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let dropped = pending
        pending = nil
        dropped?.fail(Dropped())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
