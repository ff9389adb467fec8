/// Everything a supervisor needs to know about one child: how to start it, when to restart it,
/// how to terminate it.
///
/// Build one with ``worker(id:restart:shutdown:options:_:)-(_,_,_,_,()->B)`` for a
/// ``Behavior`` or ``AsyncBehavior`` process, with
/// ``supervisor(id:strategy:children:intensity:clock:restart:shutdown:)`` for a nested
/// supervisor, or with ``init(id:restart:shutdown:type:start:)`` for anything else.
public struct ChildSpec: Sendable {
    /// Names the child within its supervisor (unique among a ``Supervisor``'s children; free
    /// text for a ``DynamicSupervisor``). Used in requests, introspection and crash reports.
    public var id: String
    /// When the child is restarted; default ``RestartPolicy/permanent``.
    public var restart: RestartPolicy
    /// How the child is terminated; default ``ChildType/defaultShutdown`` of ``type``.
    public var shutdown: ShutdownPolicy
    /// Worker or supervisor; default ``ChildType/worker``.
    public var type: ChildType
    /// Starts the child and returns its process, or throws if it cannot start. Called at every
    /// (re)start, from the supervisor's process; it must return once the child is running (it
    /// may await, e.g. a nested supervisor's start). The returned process should have been
    /// spawned with ``ChildStartContext/spawnOptions``.
    public var start: @Sendable (ChildStartContext) async throws -> ProcessID

    /// Creates a child specification; see each property.
    public init(
        id: String,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy? = nil,
        type: ChildType = .worker,
        start: @escaping @Sendable (ChildStartContext) async throws -> ProcessID
    ) {
        self.id = id
        self.restart = restart
        self.shutdown = shutdown ?? type.defaultShutdown
        self.type = type
        self.start = start
    }

    /// A worker running a ``Behavior``: every (re)start spawns a fresh state made by `make`,
    /// with `options` (parent set to the supervisor).
    public static func worker<B: Behavior & SendableMetatype>(
        id: String,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .default,
        options: SpawnOptions = .default,
        _ make: @escaping @Sendable () -> B
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .worker) { context in
            try context.runtime.spawn(make(), options: context.spawnOptions(basedOn: options)).id
        }
    }

    /// A worker running an ``AsyncBehavior``: every (re)start spawns a fresh state made by
    /// `make`, with `options` (parent set to the supervisor).
    public static func worker<B: AsyncBehavior>(
        id: String,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .default,
        options: SpawnOptions = .default,
        _ make: @escaping @Sendable () -> B
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .worker) { context in
            try context.runtime.spawn(make(), options: context.spawnOptions(basedOn: options)).id
        }
    }

    /// A nested ``Supervisor`` with its own strategy and children, started with the parent
    /// supervisor as its parent (so the parent's orderly shutdown stops it in order). If it gives
    /// up after exceeding its intensity it exits with ``ExitReason/shutdown``, and the parent
    /// applies `restart` to it: `permanent` restarts it, `transient` and `temporary` do not.
    public static func supervisor(
        id: String,
        strategy: SupervisorStrategy,
        children: [ChildSpec],
        intensity: RestartIntensity = RestartIntensity(),
        clock: (any RuntimeClock)? = nil,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .infinity
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .supervisor) { context in
            try await Supervisor.start(
                runtime: context.runtime, strategy: strategy, children: children, intensity: intensity,
                clock: clock, options: context.spawnOptions
            ).id
        }
    }

    /// A nested ``DynamicSupervisor`` (no children at first), started with the parent supervisor
    /// as its parent. Find it with ``SupervisorRef/whichChildren()`` and address it with
    /// ``DynamicSupervisorRef/init(_:)``, or register it by name through `options`.
    public static func dynamicSupervisor(
        id: String,
        maxChildren: Int? = nil,
        intensity: RestartIntensity = RestartIntensity(),
        clock: (any RuntimeClock)? = nil,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .infinity
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .supervisor) { context in
            try await DynamicSupervisor.start(
                runtime: context.runtime, maxChildren: maxChildren, intensity: intensity, clock: clock,
                options: context.spawnOptions
            ).id
        }
    }
}
