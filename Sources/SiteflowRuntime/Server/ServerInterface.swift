/// What every kind of server declares: the requests it takes and the reply to a call. Both
/// ``GenServer`` (synchronous handlers) and ``AsyncGenServer`` (handlers that may `await`) refine
/// it, so both are addressed through the same ``ServerRef``, ``Caller`` and ``CallError``. (The
/// refinements restate the associated types with their defaults, so that a server's types are
/// inferred from its handlers.)
public protocol ServerInterface {
    /// Requests that expect a reply.
    associatedtype Call: Sendable
    /// The reply to a ``Call``.
    associatedtype Reply: Sendable
    /// Fire-and-forget requests.
    associatedtype Cast: Sendable
    /// Other messages: timer ticks, notifications from other processes.
    associatedtype Info: Sendable
}
