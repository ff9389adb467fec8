public import ServiceLifecycle

/// One part of a node (its runtime, its store, its supervision tree) as a `Service`: `run()`
/// waits until the group asks for a graceful shutdown (or is cancelled), then stops the part.
/// In a `ServiceGroup`, parts listed in start order are thus stopped in reverse order, each after
/// the ones listed after it have stopped.
public struct NodePartService: Service, CustomStringConvertible {
    /// What the part is (for logs).
    public let description: String
    private let stop: @Sendable () async -> Void

    /// A service named `name` whose shutdown runs `stop` (which must be idempotent: the node's
    /// ``SiteflowNode/stop()`` may run it too).
    public init(_ name: String, stop: @escaping @Sendable () async -> Void) {
        self.description = name
        self.stop = stop
    }

    /// Waits for the graceful shutdown, then stops the part.
    public func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }
}
