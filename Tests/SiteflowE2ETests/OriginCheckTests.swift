import SiteflowApp
import Foundation
import Testing

@Suite("Origins, as Phoenix checks them")
struct OriginCheckTests {
    /// A WebSocket upgrade to the node's socket from a page of `origin` (nil: no Origin header).
    private func upgrade(port: Int, origin: String?) -> String {
        "GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + (origin.map { "Origin: \($0)\r\n" } ?? "") + "\r\n"
    }

    @Test("by default the node accepts sockets from its own pages and from clients without an Origin, and answers 403 to a foreign page, on WebSocket and long-poll")
    func defaultIsSameOrigin() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            #expect(try await rawHTTPHead(port: port, upgrade(port: port, origin: "http://127.0.0.1:\(port)")).hasPrefix("HTTP/1.1 101"))
            #expect(try await rawHTTPHead(port: port, upgrade(port: port, origin: nil)).hasPrefix("HTTP/1.1 101"))
            #expect(try await rawHTTPHead(port: port, upgrade(port: port, origin: "http://evil.example")).hasPrefix("HTTP/1.1 403"))
            #expect(try await rawHTTPHead(port: port, upgrade(port: port, origin: "http://127.0.0.1:\(port + 1)")).hasPrefix("HTTP/1.1 403"))
            let longPoll = "GET /socket/longpoll?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: http://evil.example\r\n\r\n"
            // Long-poll answers as Phoenix does: HTTP 200 with the socket's status in the body.
            let refused = try await rawHTTP(port: port, longPoll)
            #expect(refused.body.hasPrefix("{\"status\":403"), "\(refused)")
            let ownPage = longPoll.replacingOccurrences(of: "http://evil.example", with: "http://127.0.0.1:\(port)")
            let accepted = try await rawHTTP(port: port, ownPage)
            #expect(accepted.body.hasPrefix("{\"status\":410,\"token\":"), "\(accepted)")
        }
    }
}
