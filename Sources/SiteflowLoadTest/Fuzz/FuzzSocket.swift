import NIOCore
import Synchronization

/// The delegate of one fuzzing WebSocket: counts the server's text replies by kind and learns how
/// the connection ended (close code, or dropped).
final class FuzzSocket: WebSocketClientDelegate, @unchecked Sendable {
    // @unchecked Sendable: `replies` is touched only on the connection's event loop until `ended`
    // completes; the owner reads it after awaiting `ended`, which orders the accesses.
    /// Completes once with the close code as text, or `dropped`.
    let ended: EventLoopPromise<String>
    private let closed = Atomic<Bool>(false)
    /// Replies by kind: `ok`, `error`, `phx_error`, `phx_close`, `other`.
    private(set) var replies: [String: Int] = [:]

    init(eventLoop: any EventLoop) {
        ended = eventLoop.makePromise(of: String.self)
    }

    /// `true` once the connection has ended (safe from any thread).
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    func webSocket(_ connection: WebSocketClientConnection, received message: WebSocketClientMessage) {
        guard case .text(let buffer) = message else {
            if case .binary = message { replies["binary", default: 0] += 1 }
            return
        }
        let kind = buffer.withUnsafeReadableBytes { bytes -> String in
            let all = 0..<bytes.count
            if V2FrameScanner.find("phx_reply", in: bytes, within: all) != nil {
                if V2FrameScanner.find("\"status\":\"ok\"", in: bytes, within: all) != nil { return "ok" }
                if V2FrameScanner.find("\"status\":\"error\"", in: bytes, within: all) != nil { return "error" }
                return "other"
            }
            if V2FrameScanner.find("phx_error", in: bytes, within: all) != nil { return "phx_error" }
            if V2FrameScanner.find("phx_close", in: bytes, within: all) != nil { return "phx_close" }
            return "other"
        }
        replies[kind, default: 0] += 1
    }

    func webSocketClosed(_ connection: WebSocketClientConnection, code: UInt16?, reason: String) {
        closed.store(true, ordering: .releasing)
        ended.succeed(code.map { String($0) } ?? "dropped")
    }
}
