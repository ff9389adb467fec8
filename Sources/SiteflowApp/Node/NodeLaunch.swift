import ServiceLifecycle
import SiteflowStore

/// A node as one `Service` of the group ``SiteflowNode/run(_:gracefulShutdownSignals:onStarted:)``
/// builds: it opens the given PostgreSQL store (whose connections an earlier service of the same
/// group runs), starts the node, hands it to `onStarted`, then runs the node's ``SiteflowNode/services``
/// until the group shuts down gracefully.
struct NodeLaunch: Service, CustomStringConvertible {
    let configuration: NodeConfiguration
    /// The PostgreSQL store the group runs, or nil for a node that opens its own (SQLite).
    var store: PostgresStore?
    let onStarted: @Sendable (SiteflowNode) async -> Void

    var description: String { "node" }

    /// Opens the store, starts the node and runs it; a failed open or start throws (the group
    /// then stops, and the store with it).
    func run() async throws {
        if let store { try await store.open() }
        let node = try await SiteflowNode.start(configuration, store: store)
        await onStarted(node)
        try await node.run()
    }
}
