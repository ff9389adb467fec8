import Synchronization

/// Owns every live process (the run queues hold them unretained) and lists them for
/// introspection. Sharded by serial number so concurrent spawns and exits rarely meet on a lock.
final class ProcessTable: Sendable {
    private struct Shard {
        var slots: [ProcessCore?] = []
        var free: [UInt32] = []
    }

    private static let shardCount = 64
    private let shards: [Locked<Shard>]
    /// Live processes.
    let count = Atomic<Int>(0)

    init() {
        var shards: [Locked<Shard>] = []
        shards.reserveCapacity(Self.shardCount)
        for _ in 0..<Self.shardCount { shards.append(Locked(Shard())) }
        self.shards = shards
    }

    /// Reserves room for one more process if fewer than `limit` are alive.
    func reserve(limit: Int) -> Bool {
        let now = count.wrappingAdd(1, ordering: .relaxed).newValue
        if now > limit {
            count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives back a reservation that was not used.
    func cancelReservation() { count.wrappingSubtract(1, ordering: .relaxed) }

    /// Takes ownership of a new process (after ``reserve(limit:)`` succeeded).
    func insert(_ process: ProcessCore) {
        let shard = Int(truncatingIfNeeded: process.serial) & (Self.shardCount - 1)
        shards[shard].withLock { s in
            if let slot = s.free.popLast() {
                s.slots[Int(slot)] = process
                process.tableSlot = slot
            } else {
                process.tableSlot = UInt32(truncatingIfNeeded: s.slots.count)
                s.slots.append(process)
            }
        }
    }

    /// Drops the table's reference to an ended process (possibly its last one).
    func remove(_ process: ProcessCore) {
        let shard = Int(truncatingIfNeeded: process.serial) & (Self.shardCount - 1)
        let slot = process.tableSlot
        let removed: ProcessCore? = shards[shard].withLock { s in
            let index = Int(slot)
            guard index < s.slots.count, s.slots[index] === process else { return nil }
            let removed = s.slots[index]
            s.slots[index] = nil
            s.free.append(slot)
            return removed
        }
        if removed != nil { count.wrappingSubtract(1, ordering: .relaxed) }
        // `removed` is released here, outside the lock.
    }

    /// Every live process (a snapshot).
    func all() -> [ProcessCore] {
        var result: [ProcessCore] = []
        for shard in shards {
            shard.withLock { s in
                for case let process? in s.slots { result.append(process) }
            }
        }
        return result
    }

    /// The live process with this serial number, if any.
    func find(serial: UInt64) -> ProcessCore? {
        let shard = Int(truncatingIfNeeded: serial) & (Self.shardCount - 1)
        return shards[shard].withLock { s in
            s.slots.first { $0?.serial == serial } ?? nil
        }
    }
}
