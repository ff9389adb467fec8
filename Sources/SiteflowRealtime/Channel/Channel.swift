public import SiteflowRuntime

/// A channel definition: the code and state behind one joined topic of one client, like a
/// Phoenix channel module. Each successful join runs in a process of its own (see
/// ``ChannelProcess``), so a crash — a thrown error — affects only that join: the client gets
/// `phx_error` and the socket's other channels carry on.
///
/// `join` runs in the socket's process before the channel process exists (so nothing can reach
/// the client before the join reply); every other callback runs in the channel's process, one
/// message at a time. Callbacks must not block; hand slow work to another process and push from
/// there with a copy of the ``ChannelSocket``.
public protocol Channel: SendableMetatype {
    /// Events the channel intercepts: broadcasts of these events reach ``handleOut(event:payload:socket:)``
    /// instead of going straight to the client (the fastlane). Default: none.
    static var intercepts: Set<String> { get }

    /// Authorises a join of `topic` with the client's `payload` (its join params).
    mutating func join(topic: String, payload: JSONValue, socket: inout ChannelSocket) throws -> ChannelJoinResult

    /// Runs first in the channel process, after the ok reply reached the connection: the place to
    /// push initial state (Phoenix's `send(self(), :after_join)`). Default: nothing.
    mutating func afterJoin(socket: inout ChannelSocket) throws

    /// Handles a client push.
    mutating func handleIn(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws -> ChannelReplyAction

    /// Handles an intercepted broadcast. Default: push it to the client unchanged.
    mutating func handleOut(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws

    /// Handles a message sent to the channel process with ``ChannelMessage/info(_:)``. Default: ignore.
    mutating func handleInfo(_ message: any Sendable, socket: inout ChannelSocket) throws

    /// Called when the channel stops by itself (leave, `.stop`, a thrown error) — not when it
    /// is killed with its socket. Default: nothing.
    mutating func terminate(reason: ExitReason, socket: inout ChannelSocket)
}

extension Channel {
    /// No intercepted events: every broadcast takes the fastlane.
    public static var intercepts: Set<String> { [] }
    /// Does nothing.
    public mutating func afterJoin(socket: inout ChannelSocket) throws {}
    /// Pushes the intercepted broadcast to the client unchanged.
    public mutating func handleOut(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws {
        socket.push(event, payload)
    }
    /// Ignores the message.
    public mutating func handleInfo(_ message: any Sendable, socket: inout ChannelSocket) throws {}
    /// Does nothing.
    public mutating func terminate(reason: ExitReason, socket: inout ChannelSocket) {}
}
