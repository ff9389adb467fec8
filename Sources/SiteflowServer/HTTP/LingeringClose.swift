import NIOCore
import NIOHTTP1

/// Answers a connection with a last response and closes it without losing that response: the
/// response is written, the sending side shut, and what the client still sends is read and
/// dropped until it closes too or `linger` passes. Closing at once while unread request bytes
/// sit in the kernel would reset the connection and could discard the response at the client.
enum LingeringClose {
    /// A complete `HTTP/1.1` response with `status`, the security headers, `connection: close`
    /// and `reason` as its plain-text body.
    static func response(_ status: HTTPResponseStatus, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = reason + "\n"
        var buffer = allocator.buffer(capacity: 256 + body.utf8.count)
        buffer.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        buffer.writeString("content-type: text/plain; charset=utf-8\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n")
        for header in SecurityHeaders.all {
            buffer.writeString("\(header.name): \(header.value)\r\n")
        }
        buffer.writeString("\r\n")
        buffer.writeString(body)
        return buffer
    }

    /// Shuts the sending side once everything written so far is flushed, and closes the
    /// channel after `linger` at the latest. The caller drops whatever the client sends meanwhile.
    static func start(after written: EventLoopFuture<Void>, channel: any Channel, linger: TimeAmount) {
        written.whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        let deadline = channel.eventLoop.scheduleTask(in: linger) {
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in deadline.cancel() }
    }
}
