import Synchronization

/// Maps keys to processes, like Elixir's `Registry`: with ``Keys-swift.enum/unique`` keys each key
/// names at most one process (names as addresses); with ``Keys-swift.enum/duplicate`` keys many
/// processes share a key (a topic's subscribers). Entries are removed automatically when their
/// process ends. Sharded by key so concurrent registrations rarely contend.
public final class Registry<Key: Hashable & Sendable>: Sendable {
    /// Whether a key names one process or a group.
    public enum Keys: Sendable, Hashable {
        /// At most one live process per key; registering a taken key fails.
        case unique
        /// Any number of processes per key (each at most once).
        case duplicate
    }

    private struct Shard {
        var entries: [Key: [ObjectIdentifier: ProcessCore]] = [:]
    }

    /// The key mode chosen at creation.
    public let keys: Keys
    private let shards: [Locked<Shard>]

    /// Creates an empty registry.
    public init(keys: Keys, shards shardCount: Int = 32) {
        self.keys = keys
        var shards: [Locked<Shard>] = []
        for _ in 0..<Swift.max(1, shardCount) { shards.append(Locked(Shard())) }
        self.shards = shards
    }

    @inline(__always)
    private func shard(for key: Key) -> Int {
        Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))
    }

    /// Registers `process` under `key`; the entry disappears when the process ends.
    /// - Throws: ``RegistryError/alreadyRegistered`` for a unique key held by another live process,
    ///   ``RegistryError/deadProcess`` if `process` has already ended.
    public func register(_ key: Key, _ process: ProcessID) throws(RegistryError) {
        if !insert(key, process.core) {
            throw process.isAlive ? .alreadyRegistered : .deadProcess
        }
    }

    func insert(_ key: Key, _ core: ProcessCore) -> Bool {
        guard core.isAlive else { return false }
        let added = shards[shard(for: key)].withLock { s -> Bool in
            var group = s.entries[key] ?? [:]
            if keys == .unique, let holder = group.values.first, holder !== core {
                if holder.isAlive { return false }
                group = [:]
            }
            if group[ObjectIdentifier(core)] != nil { return true }
            group[ObjectIdentifier(core)] = core
            s.entries[key] = group
            return true
        }
        guard added else { return false }
        core.addExitHook { [weak self] id, _ in self?.remove(key, id.core) }
        return true
    }

    /// Removes `process`'s entry under `key`; returns whether there was one.
    @discardableResult
    public func unregister(_ key: Key, _ process: ProcessID) -> Bool {
        remove(key, process.core)
    }

    @discardableResult
    private func remove(_ key: Key, _ core: ProcessCore) -> Bool {
        shards[shard(for: key)].withLock { s -> Bool in
            guard var group = s.entries[key], group.removeValue(forKey: ObjectIdentifier(core)) != nil else { return false }
            s.entries[key] = group.isEmpty ? nil : group
            return true
        }
    }

    /// The live processes under `key` (at most one for unique keys).
    public func lookup(_ key: Key) -> [ProcessID] {
        shards[shard(for: key)].withLock { s in
            (s.entries[key]?.values).map { $0.filter(\.isAlive).map(ProcessID.init) } ?? []
        }
    }

    /// The typed address of the process under a unique `key`, if it is alive and takes `Message`.
    public func whereis<Message: Sendable>(_ key: Key, as type: Message.Type = Message.self) -> PID<Message>? {
        let core = shards[shard(for: key)].withLock { s in s.entries[key]?.values.first { $0.isAlive } }
        guard let mailbox = core as? Mailbox<Message> else { return nil }
        return PID(mailbox)
    }

    /// Sends `message` to every live process under `key` that takes `Message`; returns how many
    /// got it.
    @discardableResult
    public func dispatch<Message: Sendable>(_ key: Key, _ message: Message) -> Int {
        let targets = shards[shard(for: key)].withLock { s in s.entries[key].map { Array($0.values) } ?? [] }
        var delivered = 0
        for case let mailbox as Mailbox<Message> in targets where mailbox.send(message) == .queued {
            delivered += 1
        }
        return delivered
    }

    /// Every key `process` is registered under (a scan: for introspection, not hot paths).
    public func keys(of process: ProcessID) -> [Key] {
        var result: [Key] = []
        for shard in shards {
            shard.withLock { s in
                for (key, group) in s.entries where group[ObjectIdentifier(process.core)] != nil { result.append(key) }
            }
        }
        return result
    }

    /// Number of (key, process) entries.
    public var count: Int {
        shards.reduce(0) { total, shard in total + shard.withLock { s in s.entries.values.reduce(0) { $0 + $1.count } } }
    }
}

/// Why a registration failed.
public struct RegistryError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable { case alreadyRegistered, deadProcess }
    private let code: Code

    /// The unique key is held by another live process.
    public static var alreadyRegistered: RegistryError { RegistryError(code: .alreadyRegistered) }
    /// The process to register has already ended.
    public static var deadProcess: RegistryError { RegistryError(code: .deadProcess) }

    public var description: String {
        switch code {
        case .alreadyRegistered: return "the key is already registered to another live process"
        case .deadProcess: return "the process has already ended"
        }
    }
}
