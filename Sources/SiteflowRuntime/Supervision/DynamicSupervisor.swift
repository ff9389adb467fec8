import Synchronization

/// Starts dynamic supervisors: supervisors with no children at start, to which children are
/// added on demand — one per user, connection, channel or job — Elixir's `DynamicSupervisor`.
///
/// Guarantees:
/// - The strategy is always one-for-one: a child's exit concerns only that child; its
///   ``RestartPolicy`` decides whether it is started again, and restarts count towards the
///   ``RestartIntensity`` as in ``Supervisor`` (exceeding it terminates all children and the
///   supervisor exits with ``ExitReason/shutdown``).
/// - Children are keyed by process: starting one, terminating one and handling one's exit cost
///   O(1), so a dynamic supervisor holds hundreds of thousands of children.
/// - An orderly stop (``DynamicSupervisorRef/stop(reason:)``, or an exit signal from its parent)
///   terminates all children concurrently — order is not significant — each per its
///   ``ShutdownPolicy``: `shutdown` to all at once, then `kill` to those still alive when their
///   timeout has passed; the supervisor exits once every child has ended.
/// - Exits from linked processes that are not children are ignored; decisions are logged and
///   restarts counted as for ``Supervisor``.
public enum DynamicSupervisor {
    /// Spawns a dynamic supervisor with no children.
    ///
    /// - Parameters:
    ///   - runtime: Where the supervisor and its children run.
    ///   - maxChildren: Most children at once (running or waiting for a restart retry); a
    ///     ``DynamicSupervisorRef/startChild(_:)`` past it throws `maxChildren`. Default: nil,
    ///     no limit (the runtime's ``RuntimeConfiguration/maxProcesses`` still applies).
    ///   - intensity: Restarts allowed per period before the supervisor gives up (default: 3 in 5 s).
    ///   - clock: The time source for the intensity window (default: the runtime's ``Runtime/clock``).
    ///   - name: Registers the supervisor under this unique name (overrides `options.name`).
    ///   - options: Spawn options of the supervisor's own process; ``SpawnOptions/trapExits`` is
    ///     always set.
    /// - Throws: ``SupervisorError`` with code `spawnFailed` if its process cannot be spawned.
    public static func start(
        runtime: Runtime,
        maxChildren: Int? = nil,
        intensity: RestartIntensity = RestartIntensity(),
        clock: (any RuntimeClock)? = nil,
        name: String? = nil,
        options: SpawnOptions = .default
    ) async throws(SupervisorError) -> DynamicSupervisorRef {
        var options = options
        options.trapExits = true
        if let name { options.name = name }
        do {
            let server = try await runtime.startAsyncServer(
                DynamicSupervisorServer(
                    maxChildren: maxChildren, intensity: intensity, clock: clock ?? runtime.clock, parent: options.parent,
                    name: options.name),
                options: options, caller: nil)
            return DynamicSupervisorRef(server: server)
        } catch {
            throw SupervisorError(.spawnFailed, underlying: error)
        }
    }
}
