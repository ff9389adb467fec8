import Glibc

/// A TCP socket bound and listening, owned by the supervisor and handed to each node it starts,
/// so the port stays open while a node restarts: new clients wait in the accept queue.
public struct ListeningSocket: Sendable {
    /// The socket's file descriptor (close-on-exec: a node gets its own copy explicitly).
    public let descriptor: CInt
    /// The port it listens on (the one chosen by the kernel when 0 was asked for).
    public let port: Int

    /// Binds `host:port` (a numeric address or a name; port 0 picks a free one) with
    /// SO_REUSEADDR and listens with `backlog`.
    /// - Throws: ``SupervisorError`` saying which step failed and why.
    public static func bind(host: String, port: Int, backlog: Int32) throws -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SupervisorError("cannot resolve \(host):\(port): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            let descriptor = socket(address.pointee.ai_family, type, 0)
            guard descriptor >= 0 else { lastError = "socket: \(errnoText())"; continue }
            var one: CInt = 1
            _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
            guard Glibc.bind(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
                lastError = "bind: \(errnoText())"
                _ = Glibc.close(descriptor)
                continue
            }
            guard listen(descriptor, backlog) == 0 else {
                lastError = "listen: \(errnoText())"
                _ = Glibc.close(descriptor)
                continue
            }
            return ListeningSocket(descriptor: descriptor, port: boundPort(descriptor) ?? port)
        }
        throw SupervisorError("cannot listen on \(host):\(port): \(lastError)")
    }

    /// Closes the socket (the supervisor's copy).
    public func close() {
        _ = Glibc.close(descriptor)
    }

    private static func boundPort(_ descriptor: CInt) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }
}

/// The text of the current `errno`.
func errnoText() -> String {
    String(cString: strerror(errno))
}

/// Why the node supervisor could not do something, said for a person.
public struct SupervisorError: Error, CustomStringConvertible {
    /// What went wrong and, where it helps, what to do.
    public let description: String
    init(_ description: String) { self.description = description }
}
