/// A ``GenServer`` that can run in a worker OS process (``SpawnOptions/isolation``
/// `.osProcess`): its state and every message are `Codable`, since they cross a process boundary.
///
/// Register the type in the ``IsolatedBehaviors`` catalogue given to the runtime
/// (``RuntimeConfiguration/isolation``) and start it as usual,
/// `S.start(server, runtime: runtime, options: SpawnOptions(isolation: .osProcess))` or through a
/// ``ChildSpec/server(id:restart:shutdown:options:_:)-(_,_,_,SpawnOptions,_)`` child: the value
/// given is encoded and becomes the worker's initial state; `initialize` and every handler run
/// in the worker. The returned ``ServerRef`` addresses the proxy in this node.
///
/// - Note: The worker is a separate OS process: handlers there see their own runtime (timers,
///   names and tables of the worker, not of the node). Keep isolated servers self-contained.
public protocol IsolatedServer: GenServer, Codable, SendableMetatype
where Call: Codable, Reply: Codable, Cast: Codable, Info: Codable {}
