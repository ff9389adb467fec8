/// How an endpoint's sockets behave. Every parameter has a default.
public struct SocketConfiguration: Sendable {
    /// Channel limit, idle timeout and inbound rate limit (see ``SocketStateMachine/Limits``).
    public var limits: SocketLimits
    /// Largest inbound frame, in bytes; a larger one closes the connection with
    /// ``TransportCloseCode/messageTooBig`` (default 1 MiB).
    public var maxFrameBytes: Int
    /// JSON parser limits for inbound frames (default depth 32).
    public var jsonLimits: JSONLimits
    /// Which `Origin`s may connect (default ``OriginPolicy/sameOrigin``: only pages of the host
    /// the request was addressed to, and clients that send no `Origin`).
    public var origins: OriginPolicy

    /// Creates a configuration; every parameter has a default.
    public init(
        limits: SocketLimits = .init(),
        maxFrameBytes: Int = 1 << 20,
        jsonLimits: JSONLimits = .default,
        origins: OriginPolicy = .sameOrigin
    ) {
        self.limits = limits
        self.maxFrameBytes = maxFrameBytes
        self.jsonLimits = jsonLimits
        self.origins = origins
    }
}
