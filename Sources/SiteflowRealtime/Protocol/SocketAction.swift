/// What the socket's state machine asks the socket process to do for one input.
///
/// `Handle` is however the caller names a running channel (a process address in production, a
/// number in tests).
public enum SocketAction<Handle: Hashable & Sendable>: Sendable {
    /// Nothing to do.
    case none
    /// Write this reply (heartbeat ok, leave ok of a topic not joined).
    case reply(PhoenixReply)
    /// Write this error reply, whose reason is `refusal`'s text, and count `refusal`.
    case refuse(SocketRefusal, PhoenixReply)
    /// Write this push (`phx_close`, `phx_error`).
    case push(PhoenixMessage)
    /// Hand the message to the topic's channel.
    case forward(Handle, PhoenixMessage)
    /// Start a channel for this `phx_join`; report the outcome with
    /// ``SocketStateMachine/joined(topic:joinRef:handle:)``.
    case join(PhoenixMessage)
    /// A duplicate join: shut `old` down (reason `duplicate_join`, staying linked: its exit comes
    /// back as ``SocketIgnoreReason/replacedChannel``), write the `phx_close` push for its join
    /// ref, then start a channel for `join` as for ``join(_:)``.
    case rejoin(old: Handle, close: PhoenixMessage, join: PhoenixMessage)
    /// Ignore the message; `reason` says why (for counters and debug logs).
    case ignore(SocketIgnoreReason)
    /// Close the connection with `reason`'s code and text, and count `reason`.
    case close(SocketCloseReason)
}

/// Why the state machine ignored a message.
public enum SocketIgnoreReason: String, Sendable, Hashable {
    /// Its join ref is not the topic's current one (a message for an earlier join).
    case staleJoinRef = "stale join_ref"
    /// A `phx_leave` for a channel that is already leaving.
    case alreadyLeaving = "already leaving"
    /// An exit from a process that is not one of the socket's channels.
    case unknownChannel = "unknown channel"
    /// The late exit of a channel a rejoin of its topic replaced (stale; never closes the socket).
    case replacedChannel = "replaced channel"
}
