import SiteflowRuntime

/// The Phoenix socket protocol as a value: which topics are joined under which join ref, and
/// what to do with each inbound message, channel exit and clock tick. It performs no I/O; its
/// `mutating` methods return a ``SocketAction`` that the socket process carries out.
///
/// Rules (Phoenix v1.8 `Phoenix.Socket`):
/// - `heartbeat` on topic `phoenix` → ok reply `{}`;
/// - `phx_join` of a joined topic → shut the old channel down, `phx_close` for the old join ref,
///   join again; otherwise past ``Limits/maxChannels`` → error `too many channels joined`;
/// - a message whose join ref differs from the topic's current one is ignored (a `null` join ref
///   is accepted, for V1 clients);
/// - `phx_leave` of a topic not joined → ok reply; any other message to it → error
///   `unmatched topic`;
/// - a channel that ends abnormally → `phx_error`, normally or by shutdown → `phx_close`;
/// - the exit of a channel a rejoin replaced (its `phx_leave` or the duplicate join's shutdown
///   may end it after the new join) is stale and ignored: it never closes the socket;
/// - no inbound frame for ``Limits/idleTimeout`` → close;
/// - every inbound frame (heartbeats and malformed frames included) takes a token of the rate
///   limit; a frame past it → error `rate limited` (or dropped if unreadable), and a client that
///   keeps exceeding it (``Limits/rateLimitedFramesBeforeClose``) → close 1008;
/// - every `phx_join` (rejoins included) takes a token of the join rate limit
///   (``Limits/joinBurst``, ``Limits/joinsPerSecond``), except one refused for the channel
///   limit; a join past it → error `join rate limited`, and the topic's channel, if joined, is
///   left as it was.
public struct SocketStateMachine<Handle: Hashable & Sendable>: Sendable {
    /// The limits the machine enforces (one type for every `Handle`).
    public typealias Limits = SocketLimits

    /// Whether a channel is serving messages or on its way out after a `phx_leave`.
    public enum ChannelStatus: Sendable, Hashable {
        /// Joined and serving.
        case joined
        /// Leaving: further messages are ignored until it ends.
        case leaving
    }

    /// The limits in force.
    public let limits: Limits
    private var channels = ChannelTable<Handle>()
    /// Channels a rejoin replaced whose exit has not arrived yet (each is being shut down, so its
    /// exit comes, and the entry goes; at most one per rejoin still in flight).
    private var replaced: [Handle] = []
    private var lastInbound: UInt64
    private var bucket: TokenBucket
    /// Frames past the limit still tolerated before the socket is closed.
    private var excess: TokenBucket
    /// Joins allowed now (``Limits/joinBurst``, refilled at ``Limits/joinsPerSecond``).
    private var joins: TokenBucket
    private var closed = false

    /// A machine with no channels; `now` (nanoseconds, monotonic) starts the idle clock.
    public init(limits: Limits = Limits(), now: UInt64) {
        self.limits = limits
        self.lastInbound = now
        self.bucket = TokenBucket(capacity: limits.rateLimitBurst, refillPerSecond: limits.rateLimitPerSecond)
        self.excess = TokenBucket(capacity: limits.rateLimitedFramesBeforeClose, refillPerSecond: limits.rateLimitPerSecond / 10)
        self.joins = TokenBucket(capacity: limits.joinBurst, refillPerSecond: limits.joinsPerSecond)
    }

    /// What becomes of one inbound frame under the rate limit.
    public enum FrameAdmission: Sendable, Hashable {
        /// Within the budget: decode it and ``receive(_:now:)`` it.
        case admitted
        /// Past the budget: answer it with ``rateLimited(_:)`` if it is readable, else drop it.
        case rateLimited
        /// Past the budget for too long: close the connection (the machine is closed).
        case close(SocketCloseReason)
    }

    /// The number of channels joined or leaving.
    public var channelCount: Int { channels.count }

    /// The number of replaced channels whose exit is still awaited.
    public var replacedCount: Int { replaced.count }

    /// The join ref and status of `topic`'s channel, if any.
    public func channel(for topic: String) -> (joinRef: String, handle: Handle, status: ChannelStatus)? {
        channels[topic].map { ($0.joinRef, $0.handle, $0.status) }
    }

    /// Records that a frame arrived (valid or not, heartbeat or not) at `now`: resets the idle
    /// clock and takes a token of the rate limit.
    @discardableResult
    public mutating func frameArrived(now: UInt64) -> FrameAdmission {
        if now > lastInbound { lastInbound = now }
        if bucket.take(now: now) { return .admitted }
        if excess.take(now: now) { return .rateLimited }
        closed = true
        return .close(.inboundRateExceeded)
    }

    /// The `rate limited` refusal of a readable frame that ``frameArrived(now:)`` did not admit.
    public func rateLimited(_ message: PhoenixMessage) -> SocketAction<Handle> {
        refuse(message, .rateLimited)
    }

    /// Decides what to do with one decoded inbound message (admitted by ``frameArrived(now:)``).
    public mutating func receive(_ message: PhoenixMessage, now: UInt64) -> SocketAction<Handle> {
        if closed { return .none }
        if message.topic == PhoenixEvent.heartbeatTopic && message.event == PhoenixEvent.heartbeat {
            return .reply(.ok(to: message))
        }
        if message.event == PhoenixEvent.join {
            var join = message
            if join.joinRef == nil { join.joinRef = join.ref }
            let rejoins = channels[message.topic] != nil
            if !rejoins, channels.count >= limits.maxChannels {
                return refuse(message, .tooManyChannels)
            }
            guard joins.take(now: now) else { return refuse(message, .joinRateLimited) }
            if rejoins, let old = channels.remove(topic: message.topic) {
                replaced.append(old.handle)
                let close = PhoenixMessage(joinRef: old.joinRef, ref: old.joinRef, topic: message.topic,
                                           event: PhoenixEvent.close, payload: .empty)
                return .rejoin(old: old.handle, close: close, join: join)
            }
            return .join(join)
        }
        guard var entry = channels[message.topic] else {
            if message.event == PhoenixEvent.leave { return .reply(.ok(to: message)) }
            return refuse(message, .unmatchedTopic)
        }
        if let joinRef = message.joinRef, joinRef != entry.joinRef { return .ignore(.staleJoinRef) }
        if entry.status == .leaving { return .ignore(.alreadyLeaving) }
        if message.event == PhoenixEvent.leave {
            entry.status = .leaving
            channels.set(entry)
        }
        return .forward(entry.handle, message)
    }

    /// Records a successful join: `topic` is now served by `handle` under `joinRef`.
    public mutating func joined(topic: String, joinRef: String, handle: Handle) {
        channels.set(ChannelTable.Entry(topic: topic, joinRef: joinRef, handle: handle, status: .joined))
    }

    /// A channel ended; `abnormal` is whether its exit reason was an error (not normal/shutdown).
    /// Returns the `phx_error` / `phx_close` push for its join ref, or ``SocketAction/ignore(_:)``
    /// when the socket had already replaced it.
    public mutating func channelExited(_ handle: Handle, abnormal: Bool) -> SocketAction<Handle> {
        channelExited(abnormal: abnormal) { $0 == handle }
    }

    /// Like ``channelExited(_:abnormal:)`` for the channel whose handle `matches` (e.g. a typed
    /// address matched by its untyped identity).
    public mutating func channelExited(abnormal: Bool, handleMatching matches: (Handle) -> Bool) -> SocketAction<Handle> {
        guard let entry = channels.remove(handleMatching: matches) else {
            if let index = replaced.firstIndex(where: matches) {
                replaced.remove(at: index)
                return .ignore(.replacedChannel)
            }
            return .ignore(.unknownChannel)
        }
        let topic = entry.topic
        if closed { return .none }
        return .push(PhoenixMessage(joinRef: entry.joinRef, ref: entry.joinRef, topic: topic,
                                    event: abnormal ? PhoenixEvent.error : PhoenixEvent.close, payload: .empty))
    }

    /// Checks the idle timeout at `now`: ``SocketAction/close(_:)`` with
    /// ``SocketCloseReason/idleTimeout`` once no frame has arrived for ``Limits/idleTimeout``.
    public mutating func tick(now: UInt64) -> SocketAction<Handle> {
        guard !closed, now >= lastInbound else { return .none }
        let idle = Duration.nanoseconds(Int64(clamping: now - lastInbound))
        guard idle >= limits.idleTimeout else { return .none }
        closed = true
        return .close(.idleTimeout)
    }

    private func refuse(_ message: PhoenixMessage, _ refusal: SocketRefusal) -> SocketAction<Handle> {
        .refuse(refusal, .error(to: message, reason: refusal.rawValue))
    }

    /// Marks the socket closed: later inputs produce no actions. Returns the handles of every
    /// channel (replaced ones still ending included), which the socket shuts down.
    public mutating func close() -> [Handle] {
        closed = true
        defer { replaced = [] }
        return channels.removeAll() + replaced
    }
}
