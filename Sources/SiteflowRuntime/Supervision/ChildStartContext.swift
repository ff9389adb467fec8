/// What a ``ChildSpec/start`` function receives: the runtime to spawn on, the supervisor that
/// asks, and spawn options already pointing at that supervisor.
///
/// Spawn the child with ``spawnOptions`` (adjusting other fields if needed, but keeping
/// ``SpawnOptions/parent``): that makes the supervisor the child's parent, so an orderly
/// ``ExitReason/shutdown`` from it ends the child in order and runs its `terminate`, and
/// introspection shows the tree. The supervisor links itself to the returned process after
/// `start` returns; the start function need not link.
public struct ChildStartContext: Sendable {
    /// The runtime the supervisor runs on.
    public let runtime: Runtime
    /// The supervisor starting the child.
    public let supervisor: ProcessID
    /// The id of the child being started (from its ``ChildSpec``).
    public let childID: String
    /// Options with ``SpawnOptions/parent`` set to ``supervisor``; everything else is the default.
    public var spawnOptions: SpawnOptions

    /// Creates a context (the supervisors do this; public so start functions can be unit tested).
    public init(runtime: Runtime, supervisor: ProcessID, childID: String) {
        self.runtime = runtime
        self.supervisor = supervisor
        self.childID = childID
        self.spawnOptions = SpawnOptions(parent: supervisor)
    }

    /// `options` with ``SpawnOptions/parent`` replaced by the supervisor.
    public func spawnOptions(basedOn options: SpawnOptions) -> SpawnOptions {
        var options = options
        options.parent = supervisor
        return options
    }
}
