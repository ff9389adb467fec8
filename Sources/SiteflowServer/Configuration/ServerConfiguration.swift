/// How a ``SiteflowHTTPServer`` listens and the limits it enforces on every connection.
///
/// Every parameter has a default suited to a chat-style workload; tests shorten the long-poll
/// durations instead of waiting on real ones.
public struct ServerConfiguration: Sendable {
    /// The address to listen on. Default `"127.0.0.1"`; use `"0.0.0.0"` to accept from anywhere.
    public var host: String
    /// The TCP port. Default `4000`; `0` asks the kernel for a free port (see
    /// ``SiteflowHTTPServer/localPort``).
    public var port: Int
    /// Where the socket endpoint is mounted: `<socketPath>/websocket` and `<socketPath>/longpoll`.
    /// Default `"/socket"`.
    public var socketPath: String
    /// The largest WebSocket frame, and the largest reassembled fragmented message, a client may
    /// send, in bytes. Larger → close 1009. Default 1 MiB.
    public var maxFrameSize: Int
    /// How many frames a connection may hold for a client that is not reading (WebSocket: frames
    /// not yet handed to the socket because the kernel buffer is full; long-poll: frames waiting
    /// for the next poll). When full, ``TransportConnection/send(_:)`` returns `false`.
    /// Default 1,024.
    public var outboundQueueLimit: Int
    /// The kernel-side send buffer a WebSocket may fill before its frames wait in the bounded
    /// queue instead (NIO's high write-buffer water mark), in bytes. Default 256 KiB.
    public var writeBufferHighWaterMark: Int
    /// The receive buffer of a connection, in bytes: HTTP is read in chunks of this size, and an
    /// upgraded WebSocket starts with it and grows it for busy sockets (up to 64 KiB). NIO keeps
    /// one such buffer per connection, so small keeps idle sockets cheap. Default 64.
    public var receiveBufferInitialSize: Int
    /// How long the server waits for the client's close frame after sending its own before it
    /// drops the TCP connection; also how long a connection refused by an HTTP limit is drained
    /// (its last response sent, its input dropped) before it is closed. Default 5 s.
    public var closeHandshakeTimeout: Duration
    /// The largest HTTP request body (long-poll POST) accepted; larger → 413. Default 1 MiB.
    public var maxRequestBodySize: Int
    /// How long a long-poll GET waits for frames before it answers `{"status":204}`. Default 10 s
    /// (Phoenix's `window_ms`).
    public var longPollWindow: Duration
    /// How long a long-poll session may go unpolled before it is closed (its next poll gets 410).
    /// Default 20 s.
    public var longPollSessionTimeout: Duration
    /// The most frames one `application/x-ndjson` long-poll POST may carry. Default 100.
    public var longPollMaxBatch: Int
    /// How many event-loop threads serve connections; `0` (the default) means one per core.
    public var eventLoopThreads: Int
    /// Whether each event-loop thread is pinned to its own CPU (Linux; default false). On a
    /// machine the server shares (with load-test clients, say) the kernel otherwise sometimes
    /// stacks both loops on one core, which halves a broadcast's speed.
    public var pinsEventLoops: Bool
    /// The listen backlog. Default 4,096.
    public var backlog: Int32
    /// The most bytes a request's head (request line and headers) may take; larger → 431 and
    /// the connection is closed. Default 16 KiB.
    public var maxRequestHeadSize: Int
    /// The most bytes of incomplete request heads the whole server holds at once (slowloris
    /// across many connections); a request that would pass it → 503 and close. Default 64 MiB.
    public var maxPendingRequestHeadBytes: Int
    /// How long a client has to send a complete request (head and body) once its first byte
    /// arrived; later → 408 and the connection is closed. Default 10 s.
    public var requestReadTimeout: Duration
    /// How long a keep-alive HTTP connection may sit with no request in flight before it is
    /// closed (upgraded WebSockets have their own idle timeout). A new connection has the longer
    /// of this and ``requestReadTimeout`` to send its first byte. Default 60 s.
    public var keepAliveIdleTimeout: Duration
    /// The most TCP connections the server holds at once (HTTP and WebSocket); more are answered
    /// 503 and closed at accept. Default 100,000.
    public var maxConnections: Int
    /// The most TCP connections one client address may hold at once; more are answered 429 and
    /// closed at accept. Default 25,000 (load tests open many connections from one address).
    public var maxConnectionsPerAddress: Int
    /// The most long-poll sessions the server holds at once; a new one beyond it gets 503 with
    /// a reason. Default 10,000. Idle sessions expire after ``longPollSessionTimeout``.
    public var maxLongPollSessions: Int
    /// How many WebSocket pings may arrive while an earlier one still waits for its pong
    /// (pings are coalesced: only the latest is answered); beyond it the connection is closed
    /// with 1008. Default 64.
    public var maxUnansweredPings: Int = 64
    /// How long a WebSocket frame (or fragmented message) may stay incomplete before the
    /// connection is closed with 1008. Default 10 s.
    public var partialFrameTimeout: Duration = .seconds(10)
    /// The bytes all WebSocket connections together may hold in incomplete frames; a connection
    /// whose partial data would exceed it is closed with 1013. Default 256 MiB.
    public var partialFrameBudget: Int = 256 << 20
    /// Received WebSocket bytes the socket layer has not consumed yet beyond which a connection
    /// stops reading from its client (it resumes below half). Default 1 MiB.
    public var inboundPendingLimit: Int = 1 << 20
    /// A socket already bound and listening (a file descriptor handed over by a supervisor
    /// process) to accept on instead of binding ``host``:``port``; the server closes only its own
    /// use of it. Default nil.
    public var listeningSocket: CInt?

    /// Creates a configuration; every parameter defaults as documented on its property.
    /// WebSocket idle timeouts are the socket layer's business (Phoenix's 60 s), not the transport's.
    public init(
        host: String = "127.0.0.1",
        port: Int = 4000,
        socketPath: String = "/socket",
        maxFrameSize: Int = 1 << 20,
        outboundQueueLimit: Int = 1024,
        writeBufferHighWaterMark: Int = 256 * 1024,
        receiveBufferInitialSize: Int = 64,
        closeHandshakeTimeout: Duration = .seconds(5),
        maxRequestBodySize: Int = 1 << 20,
        longPollWindow: Duration = .seconds(10),
        longPollSessionTimeout: Duration = .seconds(20),
        longPollMaxBatch: Int = 100,
        eventLoopThreads: Int = 0,
        pinsEventLoops: Bool = false,
        backlog: Int32 = 4096,
        maxRequestHeadSize: Int = 16 * 1024,
        maxPendingRequestHeadBytes: Int = 64 << 20,
        requestReadTimeout: Duration = .seconds(10),
        keepAliveIdleTimeout: Duration = .seconds(60),
        maxConnections: Int = 100_000,
        maxConnectionsPerAddress: Int = 25_000,
        maxLongPollSessions: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.socketPath = socketPath
        self.maxFrameSize = maxFrameSize
        self.outboundQueueLimit = outboundQueueLimit
        self.writeBufferHighWaterMark = writeBufferHighWaterMark
        self.receiveBufferInitialSize = receiveBufferInitialSize
        self.closeHandshakeTimeout = closeHandshakeTimeout
        self.maxRequestBodySize = maxRequestBodySize
        self.longPollWindow = longPollWindow
        self.longPollSessionTimeout = longPollSessionTimeout
        self.longPollMaxBatch = longPollMaxBatch
        self.eventLoopThreads = eventLoopThreads
        self.pinsEventLoops = pinsEventLoops
        self.backlog = backlog
        self.maxRequestHeadSize = maxRequestHeadSize
        self.maxPendingRequestHeadBytes = maxPendingRequestHeadBytes
        self.requestReadTimeout = requestReadTimeout
        self.keepAliveIdleTimeout = keepAliveIdleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.maxLongPollSessions = maxLongPollSessions
    }

    /// The first value that is out of range, as a sentence; `nil` when all are usable.
    var problem: String? {
        if !socketPath.hasPrefix("/") || socketPath.hasSuffix("/") {
            return "socketPath must start with / and not end with / (got \(socketPath))"
        }
        if !(1...Int(UInt32.max)).contains(maxFrameSize) { return "maxFrameSize must be between 1 and 2^32-1 (got \(maxFrameSize))" }
        if outboundQueueLimit < 1 { return "outboundQueueLimit must be at least 1 (got \(outboundQueueLimit))" }
        if writeBufferHighWaterMark < 2 { return "writeBufferHighWaterMark must be at least 2 (got \(writeBufferHighWaterMark))" }
        if !(64...65_536).contains(receiveBufferInitialSize) {
            return "receiveBufferInitialSize must be between 64 and 65536 (got \(receiveBufferInitialSize))"
        }
        if maxRequestBodySize < 0 { return "maxRequestBodySize must not be negative (got \(maxRequestBodySize))" }
        if longPollMaxBatch < 1 { return "longPollMaxBatch must be at least 1 (got \(longPollMaxBatch))" }
        if longPollWindow <= .zero || longPollSessionTimeout <= .zero || closeHandshakeTimeout <= .zero {
            return "longPollWindow, longPollSessionTimeout and closeHandshakeTimeout must be positive"
        }
        if maxRequestHeadSize < 64 { return "maxRequestHeadSize must be at least 64 (got \(maxRequestHeadSize))" }
        if maxPendingRequestHeadBytes < maxRequestHeadSize {
            return "maxPendingRequestHeadBytes must be at least maxRequestHeadSize (got \(maxPendingRequestHeadBytes))"
        }
        if requestReadTimeout <= .zero || keepAliveIdleTimeout <= .zero {
            return "requestReadTimeout and keepAliveIdleTimeout must be positive"
        }
        if maxConnections < 1 || maxConnectionsPerAddress < 1 || maxLongPollSessions < 1 {
            return "maxConnections, maxConnectionsPerAddress and maxLongPollSessions must be at least 1"
        }
        if maxUnansweredPings < 0 { return "maxUnansweredPings must not be negative (got \(maxUnansweredPings))" }
        if partialFrameTimeout <= .zero { return "partialFrameTimeout must be positive" }
        if partialFrameBudget < 1 { return "partialFrameBudget must be at least 1 (got \(partialFrameBudget))" }
        if inboundPendingLimit < 1 { return "inboundPendingLimit must be at least 1 (got \(inboundPendingLimit))" }
        if eventLoopThreads < 0 { return "eventLoopThreads must not be negative (got \(eventLoopThreads))" }
        if !(0...65_535).contains(port) { return "port must be between 0 and 65535 (got \(port))" }
        return nil
    }
}
