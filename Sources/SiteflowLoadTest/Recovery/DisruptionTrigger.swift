import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Carries out a ``Disruption``: a loopback HTTP request for a trap, a signal for a reload.
struct DisruptionTrigger: Sendable {
    var host: String
    var port: Int
    var configuration: RecoveryConfiguration

    /// Triggers the disruption; returns a line for the progress output. Throws a
    /// ``LoadTestError`` saying why it could not.
    func trigger() throws -> String {
        switch configuration.disruption {
        case .none:
            return "no disruption"
        case .trap:
            let status = try LoopbackHTTP.post(host: host, port: port, path: "/_fault/trap")
            guard status == 202 else {
                throw LoadTestError(description: "POST /_fault/trap was answered \(status) (is the node started with --fault-injection?)")
            }
            return "trap injected (POST /_fault/trap → 202)"
        case .reload:
            guard let pid = supervisorPID() else {
                throw LoadTestError(description: "no supervisor pid for the reload: give --supervisor-pid or --supervisor-pid-file")
            }
            guard kill(pid, SIGHUP) == 0 else {
                throw LoadTestError(description: "cannot send SIGHUP to the supervisor (pid \(pid)): \(String(cString: strerror(errno)))")
            }
            return "SIGHUP sent to the supervisor (pid \(pid))"
        }
    }

    private func supervisorPID() -> Int32? {
        if let pid = configuration.supervisorPID { return pid }
        guard let file = configuration.supervisorPIDFile, let data = FileManager.default.contents(atPath: file) else { return nil }
        return Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A minimal blocking HTTP/1.1 client for the node's loopback-only hooks (no Foundation
/// networking on Linux, no event loop needed for one request).
enum LoopbackHTTP {
    /// Sends `POST path` with an empty body; returns the response's status code.
    static func post(host: String, port: Int, path: String, timeoutSeconds: Int = 10) throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LoadTestError(description: "socket(): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw LoadTestError(description: "\(host) is not an IPv4 address (the fault hooks answer loopback only)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw LoadTestError(description: "cannot connect to \(host):\(port): \(String(cString: strerror(errno)))") }
        let request = Array("POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        var written = 0
        while written < request.count {
            let count = request[written...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw LoadTestError(description: "cannot send the request: \(String(cString: strerror(errno)))") }
            written += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !response.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        let line = String(decoding: response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw LoadTestError(description: "no HTTP response to POST \(path)")
        }
        return status
    }
}
