import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One raw HTTP/1.1 exchange over a plain TCP socket to 127.0.0.1: sends `request` exactly as
/// given (so tests can send what URLSession would not, such as upgrade headers) and returns the
/// response's head (status line and headers) as text.
func rawHTTPHead(port: Int, _ request: String) async throws -> String {
    try await rawHTTP(port: port, request).head
}

/// One raw HTTP/1.1 exchange (see ``rawHTTPHead(port:_:)``): the response's head, and its body
/// as far as its `Content-Length` says.
func rawHTTP(port: Int, _ request: String) async throws -> (head: String, body: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try rawHTTPBlocking(port: port, request) })
        }.start()
    }
}

private struct RawHTTPError: Error, CustomStringConvertible {
    var description: String
}

private func rawHTTPBlocking(port: Int, _ request: String) throws -> (head: String, body: String) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw RawHTTPError(description: "socket() failed: errno \(errno)") }
    defer { close(descriptor) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw RawHTTPError(description: "connect() failed: errno \(errno)") }
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard count > 0 else { throw RawHTTPError(description: "send() failed: errno \(errno)") }
        sent += count
    }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    func complete() -> (head: String, body: String)? {
        let text = String(decoding: received, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = String(text[..<end.lowerBound])
        let body = String(text[end.upperBound...])
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return body.utf8.count >= length ? (head, body) : nil
    }
    while complete() == nil {
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { break }
        received += chunk[..<count]
    }
    guard let response = complete() else {
        throw RawHTTPError(description: "no complete response: \(String(decoding: received, as: UTF8.self).debugDescription)")
    }
    return response
}
