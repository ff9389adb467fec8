/// How a process is started. Every option has a default; combine them freely.
public struct SpawnOptions: Sendable {
    /// Link the new process to the spawning process (only when spawned from a process context).
    public var link: Bool
    /// Run on the blocking pool (Erlang's dirty schedulers): for handlers that block or compute
    /// for long, so they never hold up the ordinary workers.
    public var blocking: Bool
    /// Mailbox bound and overflow policy; unbounded by default.
    public var mailbox: MailboxOptions
    /// Start trapping exits at once (before any message is handled).
    public var trapExits: Bool
    /// Register the process under this unique name in the runtime's registry.
    public var name: String?
    /// The supervising process, shown by introspection and used for orderly shutdown.
    public var parent: ProcessID?
    /// Where the process's code runs: in this OS process (``ProcessIsolation/none``, the default)
    /// or in a worker OS process of its own (``ProcessIsolation/osProcess``), for code that may
    /// trap. Only an ``IsolatedServer`` registered in ``RuntimeConfiguration/isolation`` can be
    /// isolated; other spawns with `.osProcess` throw ``SpawnError/notIsolatable(_:)``.
    public var isolation: ProcessIsolation

    /// Creates spawn options; see each property. (`@inlinable`, like ``default``, so that a
    /// spawn with default options copies and destroys nothing.)
    @inlinable
    public init(
        link: Bool = false, blocking: Bool = false, mailbox: MailboxOptions = .unbounded,
        trapExits: Bool = false, name: String? = nil, parent: ProcessID? = nil,
        isolation: ProcessIsolation = .none
    ) {
        self.link = link
        self.blocking = blocking
        self.mailbox = mailbox
        self.trapExits = trapExits
        self.name = name
        self.parent = parent
        self.isolation = isolation
    }

    /// Whether publishing the process needs nothing but the process table: no name, parent,
    /// link, exit trapping or isolation. (The mailbox bound and the pool are chosen before
    /// publishing.)
    @inlinable
    var isPlain: Bool { name == nil && parent == nil && !trapExits && !link && isolation == .none }

    /// Default options: unlinked, unbounded, on the ordinary workers.
    @inlinable
    public static var `default`: SpawnOptions { SpawnOptions() }
}
