public import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens client WebSockets with plain SwiftNIO: one channel and one handler per connection, no
/// task, optionally bound to a chosen source address before connecting (so that many
/// connections can be spread over 127.0.0.1–127.0.0.x and escape the per-address port limit).
public enum WebSocketClient {
    /// Connects to `ws://host:port/target` and performs the upgrade.
    ///
    /// - Parameters:
    ///   - target: the request target with its query, e.g. `/socket/websocket?vsn=2.0.0`.
    ///   - headers: extra request headers (e.g. `Origin`).
    ///   - subprotocols: offered in `Sec-WebSocket-Protocol`, in order.
    ///   - sourceAddress: a local IP address to bind before connecting.
    ///   - maxFrameSize: the largest frame accepted from the server.
    ///   - upgradeTimeout: how long the server may take to answer the upgrade once the TCP
    ///     connection is up (a connection the server's full accept queue never took looks
    ///     connected to the client); past it the connection is closed and the connect fails.
    /// - Throws: ``WebSocketClientError`` when the server answers with anything but 101 (its
    ///   status and body), or the connection error.
    public static func connect(
        host: String,
        port: Int,
        target: String,
        headers: [(name: String, value: String)] = [],
        subprotocols: [String] = [],
        sourceAddress: String? = nil,
        maxFrameSize: Int = 16 << 20,
        upgradeTimeout: TimeAmount = .seconds(10),
        on group: any EventLoopGroup,
        delegate: any WebSocketClientDelegate
    ) -> EventLoopFuture<WebSocketClientConnection> {
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: WebSocketClientConnection.self)
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
        if let sourceAddress {
            do {
                bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: sourceAddress, port: 0))
            } catch {
                promise.fail(error)
                return promise.futureResult
            }
        }
        bootstrap = bootstrap.channelInitializer { channel in
            let responseCollector = UpgradeResponseCollector(promise: promise)
            var requestHeaders = HTTPHeaders()
            requestHeaders.add(name: "host", value: "\(host):\(port)")
            for header in headers { requestHeaders.add(name: header.name, value: header.value) }
            if !subprotocols.isEmpty {
                requestHeaders.add(name: "sec-websocket-protocol", value: subprotocols.joined(separator: ", "))
            }
            // The connection parses and frames itself: no NIO frame decoder or encoder is
            // installed, and bytes read after the 101 reach the connection once it is added.
            let upgrader = LeanWebSocketClientUpgrader { channel, response in
                let connection = WebSocketClientConnection(
                    eventLoop: channel.eventLoop,
                    subprotocol: response.headers.first(name: "sec-websocket-protocol"),
                    maxFrameSize: maxFrameSize,
                    delegate: delegate
                )
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(connection)
                    promise.succeed(connection)
                }
            }
            return channel.eventLoop.makeCompletedFuture {
                let collector = NIOLoopBound(responseCollector, eventLoop: channel.eventLoop)
                try channel.pipeline.syncOperations.addHTTPClientHandlers(
                    withClientUpgrade: (
                        upgraders: [upgrader],
                        completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(collector.value, promise: nil)
                        }
                    )
                )
                try channel.pipeline.syncOperations.addHandler(responseCollector)
                responseCollector.sendRequest(
                    on: channel,
                    head: HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: requestHeaders)
                )
            }
        }
        bootstrap.connect(host: host, port: port).whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(error)
            case .success(let channel):
                // Closing fails the upgrade through the response collector (on this loop, as is
                // the promise's completion, which cancels the timer first if the answer came).
                let timer = channel.eventLoop.scheduleTask(in: upgradeTimeout) { channel.close(promise: nil) }
                promise.futureResult.whenComplete { _ in timer.cancel() }
            }
        }
        return promise.futureResult
    }
}

/// Sends the upgrade request once connected, and turns a non-101 answer into a
/// ``WebSocketClientError`` carrying the status and body.
private final class UpgradeResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let promise: EventLoopPromise<WebSocketClientConnection>
    private var status: Int?
    private var body = ByteBuffer()
    private var request: HTTPRequestHead?

    init(promise: EventLoopPromise<WebSocketClientConnection>) {
        self.promise = promise
    }

    func sendRequest(on channel: any Channel, head: HTTPRequestHead) {
        request = head
    }

    func channelActive(context: ChannelHandlerContext) {
        if let request {
            context.write(wrapOutboundOut(.head(request)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            let reason = body.readString(length: body.readableBytes) ?? ""
            promise.fail(WebSocketClientError.refused(
                status: status ?? 0,
                reason: reason.trimmingCharacters(in: "\n")
            ))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(WebSocketClientError(status: nil, reason: "connection closed during the upgrade"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOHTTPClientUpgradeError { return }
        promise.fail(error)
        context.close(promise: nil)
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.last == character { text = text.dropLast() }
        return String(text)
    }
}
