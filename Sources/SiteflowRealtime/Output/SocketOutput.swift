import Synchronization

/// The writing side of one socket: its connection, its serializer and its counters. Shared by
/// the socket process, its channel processes and the fastlane (``ChannelDispatcher``), which all
/// write directly.
///
/// When the connection refuses a frame because its bounded queue is full, the output closes it
/// once with ``TransportCloseCode/tryAgainLater`` and counts a slow consumer; a refusal because
/// the connection is closed or closing (the client left, a protocol error) is not one.
public final class SocketOutput: Sendable {
    /// The connection frames go to.
    public let connection: any TransportConnection
    /// The connection's serializer.
    public let serializer: PhoenixSerializer
    let statistics: SocketStatistics
    private let registry: any SocketOutputRegistry
    private let closed = Atomic<Bool>(false)
    /// When the socket last handled an inbound frame (its clock's nanoseconds); read by the
    /// endpoint's idle sweep, which only disturbs sockets that look idle.
    private let lastInbound: Atomic<UInt64>

    init(connection: any TransportConnection, serializer: PhoenixSerializer, statistics: SocketStatistics,
         registry: any SocketOutputRegistry, now: UInt64) {
        self.connection = connection
        self.serializer = serializer
        self.statistics = statistics
        self.registry = registry
        self.lastInbound = Atomic(now)
    }

    /// When the socket last handled an inbound frame.
    var lastInboundAt: UInt64 { lastInbound.load(ordering: .relaxed) }

    /// Records that the socket handled an inbound frame at `now`.
    func inboundArrived(at now: UInt64) {
        lastInbound.store(now, ordering: .relaxed)
    }

    /// The transport reported the connection gone: the socket leaves the endpoint's registry.
    func transportClosed() {
        registry.remove(self)
    }

    /// Whether the socket closed the connection (slow consumer, idle, bad frame, shutdown).
    public var isClosed: Bool { closed.load(ordering: .relaxed) }

    /// Writes an already encoded frame. Returns `false` if the connection is closed or full (and
    /// then, if it was full and not closing, closes it as a slow consumer).
    @discardableResult
    public func write(_ frame: TransportFrame) -> Bool {
        if connection.send(frame) { return true }
        if connection.isClosing {
            close(code: .normal, reason: "socket closed", counter: nil)
        } else {
            close(code: .tryAgainLater, reason: "outbound queue full", counter: .slowConsumerCloses)
        }
        return false
    }

    /// Encodes and writes a push.
    @discardableResult
    public func push(_ message: PhoenixMessage) -> Bool {
        guard let frame = serializer.encode(message) else {
            statistics.increment(.unencodable)
            return true
        }
        return write(frame)
    }

    /// Encodes and writes a reply.
    @discardableResult
    public func reply(_ reply: PhoenixReply) -> Bool {
        guard let frame = serializer.encode(reply) else {
            statistics.increment(.unencodable)
            return true
        }
        return write(frame)
    }

    /// Closes the connection once (later calls do nothing), counting `counter` if given.
    func close(code: TransportCloseCode, reason: String, counter: SocketStatistics.Counter? = nil) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let counter { statistics.increment(counter) }
        registry.remove(self)
        connection.close(code: code, reason: reason)
    }
}
