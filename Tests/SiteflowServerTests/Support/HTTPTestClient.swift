import NIOCore
import NIOHTTP1
import NIOPosix

/// A response as the specs inspect it.
struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: String

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A tiny real HTTP/1.1 client over NIO: one request per connection.
enum HTTPTestClient {
    static func request(
        port: Int,
        method: HTTPMethod = .GET,
        _ target: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> TestResponse {
        let promise = TestClientGroup.shared.next().makePromise(of: TestResponse.self)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
        head.headers.add(name: "host", value: "127.0.0.1:\(port)")
        head.headers.add(name: "connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "content-length", value: String(body.utf8.count)) }
        let requestHead = head
        let channel = try await ClientBootstrap(group: TestClientGroup.shared)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        channel.write(HTTPClientRequestPart.head(requestHead), promise: nil)
        if let body {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
        }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        let response = try await promise.futureResult.get()
        try? await channel.close()
        return response
    }
}

private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<TestResponse>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<TestResponse>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(var chunk): body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            promise.succeed(TestResponse(
                status: Int(head.status.code),
                headers: head.headers,
                body: body.readString(length: body.readableBytes) ?? ""
            ))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
