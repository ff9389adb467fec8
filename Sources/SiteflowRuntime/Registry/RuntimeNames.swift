import Synchronization
extension Runtime {
    func registerUniqueName(_ name: String, for process: ProcessCore) -> Bool {
        names.insert(name, process)
    }

    /// Registers `process` under the unique `name` (Erlang's `register/2`).
    /// - Throws: ``RegistryError/alreadyRegistered`` or ``RegistryError/deadProcess``.
    public func register(_ name: String, _ process: ProcessID) throws(RegistryError) {
        try names.register(name, process)
        process.core.extras.state.withLock { $0.name = name }
    }

    /// The process registered under `name`, typed, if it is alive and takes `Message`.
    public func whereis<Message: Sendable>(_ name: String, as type: Message.Type = Message.self) -> PID<Message>? {
        names.whereis(name, as: type)
    }

    /// Sends `message` to the process registered under `name`; ``DeliveryResult/deadProcess`` if
    /// there is none (or it takes another message type).
    @discardableResult
    public func send<Message: Sendable>(_ message: sending Message, toName name: String) -> DeliveryResult {
        guard let pid = names.whereis(name, as: Message.self) else { return .deadProcess }
        return pid.deliver(message)
    }
}
