import NIOCore
import NIOHTTP1

/// A complete HTTP response the server writes in one go.
struct HTTPReply: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    init(status: HTTPResponseStatus, contentType: String, body: ByteBuffer, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.headers = headers
        self.headers.replaceOrAdd(name: "content-type", value: contentType)
        self.body = body
    }

    /// A plain-text error (or refusal) whose body is the reason, so a client learns what went wrong.
    static func text(_ status: HTTPResponseStatus, _ reason: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPReply {
        HTTPReply(
            status: status,
            contentType: "text/plain; charset=utf-8",
            body: ByteBuffer(string: reason + "\n"),
            headers: headers
        )
    }
}
