/// What a handler can do as the process it runs in: its own address, spawning, links, monitors,
/// exit signals, trapping exits and stopping.
///
/// A context is valid only during the handler call it was passed to; do not store it.
public struct ProcessContext<Message: Sendable> {
    @usableFromInline unowned(unsafe) let mailbox: Mailbox<Message>

    @inlinable init(_ mailbox: Mailbox<Message>) { self.mailbox = mailbox }

    /// The typed address of this process.
    public var pid: PID<Message> { PID(mailbox) }

    /// The untyped identity of this process.
    public var id: ProcessID { ProcessID(mailbox) }

    /// The runtime this process runs in.
    public var runtime: Runtime { mailbox.runtime }

    /// Ends this process with `reason` after the current handler returns; `terminate` runs.
    public func stop(_ reason: ExitReason = .normal) { mailbox.requestStop(reason) }

    /// Whether exit signals arrive as ``Signal/exit(from:reason:)`` instead of ending the process
    /// (``ExitReason/kill`` always ends it).
    public var trapsExits: Bool {
        get { mailbox.trapsExits }
        nonmutating set { mailbox.trapsExits = newValue }
    }

    /// Links this process with `other` (see ``Runtime`` for the rules).
    public func link(_ other: ProcessID) { mailbox.link(to: other.core) }

    /// Removes a link; no signal is sent.
    public func unlink(_ other: ProcessID) { mailbox.unlink(from: other.core) }

    /// Monitors `other`; one ``Signal/down(_:process:reason:)`` follows when it ends.
    @discardableResult
    public func monitor(_ other: ProcessID) -> MonitorReference { mailbox.monitor(other.core) }

    /// Stops a monitor; no `down` for it is handled afterwards. Returns whether it was active.
    @discardableResult
    public func demonitor(_ reference: MonitorReference) -> Bool { mailbox.demonitor(reference) }

    /// Sends an exit signal to `target` (Erlang's `exit/2`), from this process.
    public func exit(_ target: ProcessID, reason: ExitReason) {
        target.core.sendExit(from: id, reason: reason)
    }

    /// Spawns a process; with `options.link` it is linked to this one, and this one is recorded as
    /// its parent unless `options.parent` says otherwise.
    @discardableResult
    public func spawn<B: Behavior>(_ behavior: sending B, options: SpawnOptions = .default) throws(SpawnError) -> PID<B.Message> {
        try mailbox.runtime.spawn(behavior, options: options, caller: mailbox)
    }

    /// Spawns an async process (see ``spawn(_:options:)``).
    @discardableResult
    public func spawn<B: AsyncBehavior>(_ behavior: sending B, options: SpawnOptions = .default) throws(SpawnError) -> PID<B.Message> {
        try mailbox.runtime.spawn(behavior, options: options, caller: mailbox)
    }

    /// Spawns a process linked to this one (Erlang's `spawn_link`).
    @discardableResult
    public func spawnLink<B: Behavior>(_ behavior: sending B, options: SpawnOptions = .default) throws(SpawnError) -> PID<B.Message> {
        var options = options
        options.link = true
        return try mailbox.runtime.spawn(behavior, options: options, caller: mailbox)
    }
}
