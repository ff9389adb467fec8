import Synchronization

/// Starts supervisors: processes that start child processes, watch them, and restart them when
/// they end, according to a ``SupervisorStrategy``, each child's ``RestartPolicy`` and a
/// ``RestartIntensity`` — OTP's `supervisor` / Elixir's `Supervisor`.
///
/// A supervisor is itself a process (kind `"supervisor"`, trapping exits) and can be the child
/// of another (``ChildSpec/supervisor(id:strategy:children:intensity:clock:restart:shutdown:)``),
/// which builds a supervision tree: failures are repaired as close to where they happen as
/// possible, and climb the tree only when restarts do not help.
///
/// Guarantees:
/// - Children start in the order given; each is linked to the supervisor once its start function
///   returns. ``start(runtime:strategy:children:intensity:clock:name:options:)`` returns once all
///   have started.
/// - An orderly stop (``SupervisorRef/stop(reason:)``, or any exit signal from its parent)
///   terminates the children in reverse start order, each per its ``ShutdownPolicy``, then the
///   supervisor exits.
/// - Exceeding the restart intensity terminates the children in reverse start order and the
///   supervisor exits with ``ExitReason/shutdown``.
/// - Exit signals from linked processes that are not children are ignored, as in OTP.
/// - Every child exit that leads to a decision is logged on ``Runtime/logger`` with the keys
///   ``LogKey/supervisor``, ``LogKey/child``, ``LogKey/process``, ``LogKey/reason`` and
///   ``LogKey/decision`` (`restart`, `ignore`, `escalate`); every restart is counted in
///   ``RuntimeStatistics/restarts``.
public enum Supervisor {
    /// Spawns a supervisor and starts `children` in order.
    ///
    /// - Parameters:
    ///   - runtime: Where the supervisor and its children run.
    ///   - strategy: Which children a restart concerns.
    ///   - children: The initial children, in start order; ids must be unique.
    ///   - intensity: Restarts allowed per period before the supervisor gives up (default: 3 in 5 s).
    ///   - clock: The time source for the intensity window (default: the runtime's ``Runtime/clock``).
    ///   - name: Registers the supervisor under this unique name (overrides `options.name`).
    ///   - options: Spawn options of the supervisor's own process; ``SpawnOptions/trapExits`` is
    ///     always set. Set ``SpawnOptions/parent`` to make another process its parent.
    /// - Returns: A handle to the running supervisor.
    /// - Throws: ``SupervisorError`` with code `childStartFailed` (naming the child and carrying
    ///   its error) if a child cannot start — the children started before it have then been
    ///   stopped in reverse order and the supervisor has ended; `duplicateChildID`; or
    ///   `spawnFailed` if the supervisor's own process cannot be spawned.
    public static func start(
        runtime: Runtime,
        strategy: SupervisorStrategy,
        children: [ChildSpec],
        intensity: RestartIntensity = RestartIntensity(),
        clock: (any RuntimeClock)? = nil,
        name: String? = nil,
        options: SpawnOptions = .default
    ) async throws(SupervisorError) -> SupervisorRef {
        var options = options
        options.trapExits = true
        if let name { options.name = name }
        let server: ServerRef<SupervisorServer>
        do {
            server = try await runtime.startAsyncServer(
                SupervisorServer(
                    strategy: strategy, children: children, intensity: intensity, clock: clock ?? runtime.clock,
                    parent: options.parent, name: options.name),
                options: options, caller: nil)
        } catch {
            throw SupervisorError(.spawnFailed, underlying: error)
        }
        do {
            _ = try await SupervisorCall.request(server, .startInitialChildren, \.isDone)
        } catch {
            _ = await runtime.waitForExit(server.id)
            throw error
        }
        return SupervisorRef(server: server)
    }
}
