/// The catalogue of servers that may run in a worker OS process, by name: a value handed to the
/// runtime (``IsolationConfiguration/behaviors``), never global state.
///
/// The node finds a server's name here when it starts one isolated; the worker executable,
/// started with that name, builds the same catalogue and runs the server found under it. Both
/// sides must therefore build the catalogue the same way (one function of the application that
/// both the node's configuration and the worker's entry point call).
public struct IsolatedBehaviors: Sendable {
    /// One registered server: its name and how a worker runs it.
    struct Entry: Sendable {
        let name: String
        let type: ObjectIdentifier
        let runWorker: @Sendable (WorkerChannel) -> Int32
    }

    private var byName: [String: Entry] = [:]
    private var nameByType: [ObjectIdentifier: String] = [:]

    /// An empty catalogue.
    public init() {}

    /// The names registered, sorted.
    public var names: [String] { byName.keys.sorted() }

    /// Adds `type` under `name` (a later registration of the same name or type replaces it).
    public mutating func register<S: IsolatedServer>(_ type: S.Type, as name: String) {
        if let previous = nameByType[ObjectIdentifier(type)] { byName[previous] = nil }
        byName[name] = Entry(name: name, type: ObjectIdentifier(type)) { channel in
            IsolatedWorker.serve(S.self, channel: channel)
        }
        nameByType[ObjectIdentifier(type)] = name
    }

    /// This catalogue with `type` added under `name`.
    public func registering<S: IsolatedServer>(_ type: S.Type, as name: String) -> IsolatedBehaviors {
        var copy = self
        copy.register(type, as: name)
        return copy
    }

    /// The name `type` is registered under, if any.
    public func name<S: IsolatedServer>(of type: S.Type) -> String? { nameByType[ObjectIdentifier(type)] }

    func entry(named name: String) -> Entry? { byName[name] }
}
