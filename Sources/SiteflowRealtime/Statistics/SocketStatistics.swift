import Synchronization

/// Counters for every kind of refusal and error the socket layer handles, shared by all sockets
/// of one endpoint. Cheap to bump (relaxed atomics); read with ``snapshot()``.
public final class SocketStatistics: Sendable {
    /// One counter. New kinds may be added.
    public enum Counter: Int, CaseIterable, Sendable {
        /// Connections accepted.
        case connectionsAccepted
        /// Connections refused by the socket's `connect` (authentication).
        case connectionsRefused
        /// Connections refused because of their `Origin`.
        case originRefused
        /// Connections refused for an unsupported `vsn`.
        case versionRefused
        /// Frames received.
        case framesReceived
        /// Frames that failed to decode and got an error reply.
        case badFramesReplied
        /// Frames that failed to decode and closed the connection.
        case badFramesClosed
        /// Frames above the size limit (connection closed with 1009).
        case oversizedFrames
        /// Inbound frames past the rate limit (answered `rate limited` when readable, else dropped).
        case rateLimited
        /// Connections closed because their outbound queue was full.
        case slowConsumerCloses
        /// Connections closed by the idle timeout.
        case idleTimeouts
        /// Messages answered with `unmatched topic`.
        case unmatchedTopic
        /// Joins refused with `too many channels joined`.
        case channelLimitRefusals
        /// Joins the channel's `join` refused.
        case joinsRefused
        /// Joins whose `join` threw.
        case joinCrashes
        /// Channels that ended abnormally (`phx_error`).
        case channelCrashes
        /// Messages ignored for a stale join ref.
        case staleMessages
        /// Outbound messages the connection's serializer could not carry (binary on V1).
        case unencodable
        /// Fastlane frames written.
        case fastlaneWrites

        // HTTP and connection limits (SiteflowServer's HTTP layer).
        /// Times the server paused accepting because accept failed (open-files limit: EMFILE/ENFILE).
        case acceptBackoffs
        /// Connections refused at accept because the server holds its most connections (503).
        case connectionLimitRefusals
        /// Connections refused at accept because their address holds its most connections (429).
        case connectionsPerAddressRefusals
        /// Requests whose head passed the header byte limit (431).
        case requestHeadersTooLarge
        /// Requests refused because the node's budget for incomplete request heads was spent (503).
        case requestHeadBudgetRefusals
        /// Connections closed because a request was not complete by the request deadline (408).
        case requestTimeouts
        /// Idle HTTP connections closed by the idle timeout (keep-alive connections with no request
        /// in flight, and new connections that never sent one).
        case keepAliveIdleCloses
        /// HTTP/1.1 requests without a Host header (400).
        case requestsWithoutHost
        /// Request bodies larger than the body limit (413), refused before they were read.
        case requestBodiesTooLarge
        /// Long-poll sessions refused because the server holds its most sessions (503).
        case longPollSessionLimitRefusals
        /// Long-poll sessions closed because they were not polled within their idle expiry.
        case longPollSessionsExpired

        // Realtime layer (sockets, channels, presence, chat rooms):
        /// Connections closed because they kept sending past the inbound rate limit (1008).
        case inboundRateCloses
        /// Rooms dropped from the chat's recent-history cache (least recently used past the cap,
        /// or their last member left).
        case roomCacheEvictions

        // WebSocket transport (ws): SiteflowServer's WebSocket connections.
        /// Pings left unanswered because a later ping replaced them (RFC 6455 §5.5.3).
        case webSocketPingsCoalesced
        /// Connections closed with 1008 for sending pings faster than they were answered.
        case webSocketPingFloodCloses
        /// Connections closed with 1008 because a frame stayed incomplete past its deadline.
        case webSocketPartialFrameTimeouts
        /// Connections closed with 1013 because the node's budget for incomplete frames was spent.
        case webSocketPartialBudgetCloses
        /// Times a connection stopped reading because its session had not consumed its frames.
        case webSocketReadPauses
        /// Close frames with an invalid code or a reason that is not UTF-8 (answered 1002/1007).
        case webSocketInvalidCloseFrames
        /// WebSocket upgrade requests refused with 400 (no `Connection: Upgrade`, bad key or version).
        case webSocketUpgradesRejected

        /// Chat joins refused because the node or the connection holds its most nicknames.
        case nicknameClaimLimitRefusals

        /// Joins answered `join rate limited` (past the socket's ``SocketLimits/joinsPerSecond``).
        case joinRateLimited
        /// Chat joins refused because the client's address created its most rooms this minute.
        case roomCreationRateLimited
    }

    /// One counter cell (a class, because `Atomic` cannot be copied into an array).
    private final class Cell: Sendable {
        let value = Atomic<Int>(0)
    }

    private let counters: [Cell]

    /// All counters at zero.
    public init() {
        counters = Counter.allCases.map { _ in Cell() }
    }

    /// Adds `amount` to `counter`.
    public func increment(_ counter: Counter, by amount: Int = 1) {
        counters[counter.rawValue].value.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The current value of `counter`.
    public subscript(counter: Counter) -> Int {
        counters[counter.rawValue].value.load(ordering: .relaxed)
    }

    /// A copy of every counter (each read atomically; the set is not one instant).
    public func snapshot() -> Snapshot {
        Snapshot(values: Counter.allCases.map { self[$0] })
    }

    /// A `Sendable` copy of the counters for dashboards and metrics.
    public struct Snapshot: Sendable, Hashable {
        private let values: [Int]
        init(values: [Int]) { self.values = values }

        /// The value of `counter` when the snapshot was taken.
        public subscript(counter: Counter) -> Int { values[counter.rawValue] }
    }
}
