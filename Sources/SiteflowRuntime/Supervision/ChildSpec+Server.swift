extension ChildSpec {
    /// A ``GenServer`` child: every (re)start runs `initialize` on a fresh state made by `make`
    /// (a failing `initialize` is a failed start, as in OTP), with `options` (parent set to the
    /// supervisor). Give it a name in `options` to reach it by name across restarts
    /// (``Runtime/server(named:as:)``).
    public static func server<S: GenServer & SendableMetatype>(
        id: String,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .default,
        options: SpawnOptions = .default,
        _ make: @escaping @Sendable () -> S
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .worker) { context in
            try S.start(make(), runtime: context.runtime, options: context.spawnOptions(basedOn: options)).id
        }
    }

    /// An ``AsyncGenServer`` child: every (re)start awaits `initialize` on a fresh state made by
    /// `make` (a failing `initialize` is a failed start), with `options` (parent set to the
    /// supervisor). Give it a name in `options` to reach it by name across restarts
    /// (``Runtime/server(named:as:)``).
    public static func server<S: AsyncGenServer>(
        id: String,
        restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy = .default,
        options: SpawnOptions = .default,
        _ make: @escaping @Sendable () -> S
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: shutdown, type: .worker) { context in
            try await S.start(make(), runtime: context.runtime, options: context.spawnOptions(basedOn: options)).id
        }
    }
}

extension Runtime {
    /// The running server (``GenServer`` or ``AsyncGenServer``) registered under `name`, if it is
    /// alive and is an `S`.
    public func server<S: ServerInterface & SendableMetatype>(named name: String, as type: S.Type = S.self) -> ServerRef<S>? {
        whereis(name, as: ServerMessage<S>.self).map(ServerRef.init(pid:))
    }
}
