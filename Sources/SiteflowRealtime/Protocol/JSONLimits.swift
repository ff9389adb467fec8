/// Limits the JSON parser enforces, so hostile input cannot exhaust the stack or memory.
public struct JSONLimits: Sendable, Hashable {
    /// Deepest nesting of arrays and objects accepted (default 32; Phoenix payloads are shallow).
    public var maxDepth: Int
    /// Largest input accepted, in bytes (default 1 MiB).
    public var maxBytes: Int

    /// Creates limits; every parameter has a default.
    public init(maxDepth: Int = 32, maxBytes: Int = 1 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
    }

    /// The defaults.
    public static var `default`: JSONLimits { JSONLimits() }
}
