import CSiteflowRuntime
import Synchronization

/// Owns every live process (the run queues hold them unretained), hands out their serial
/// numbers, and lists them for introspection.
///
/// Sharded by the *inserting thread*, so a thread that spawns many processes keeps one shard's
/// lock and slot chunk warm in its cache, and threads spawning at once rarely meet on a lock.
/// Each shard is a chunked slab of words under a spin lock: a slot holds a retained process
/// pointer, or (bit 0 set) the link of the shard's free list, so insert and remove allocate
/// nothing once a chunk exists and never copy the table as it grows.
///
/// Serial numbers are handed out under the shard's lock from a block of ``serialBlockSize`` the
/// shard reserves from ``serialBlocks``, so a spawn touches no shared counter for its serial; a
/// thread's processes get consecutive serials, and every serial is unique within the runtime.
final class ProcessTable: Sendable {
    private static let shardBits = 6
    private static let shardCount = 1 << shardBits
    /// Retained by hand (released in `deinit`) so that reaching a shard costs no retain/release.
    private let shards: [Unmanaged<ProcessTableShard>]
    /// Live processes (including reserved, not yet inserted ones).
    let count = Atomic<Int>(0)
    /// Serial blocks handed out to shards so far.
    private let serialBlocks = Atomic<UInt64>(0)
    /// Serials per block.
    static let serialBlockSize: UInt64 = 1024

    init() {
        shards = (0..<Self.shardCount).map { _ in Unmanaged.passRetained(ProcessTableShard()) }
    }

    deinit {
        for shard in shards { shard.release() }
    }

    /// Reserves room for one more process if fewer than `limit` are alive.
    @inline(__always)
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

    /// Takes ownership of a new process (after ``reserve(limit:)`` succeeded) and gives it its
    /// serial number.
    @inline(__always)
    func insert(_ process: ProcessCore) {
        insert(process, raw: Unmanaged.passRetained(process).toOpaque())
    }

    /// Like ``insert(_:)``, for a process that no other thread can reach yet (just created; not
    /// named, linked or handed to anyone): the table's reference is then taken with a plain,
    /// non-atomic increment of its reference count, which is safe because nothing else can touch
    /// that count until the process is published (by this insert's lock release, or by the caller
    /// returning its PID).
    @inline(__always)
    func insertUnpublished(_ process: ProcessCore) {
        let raw = Unmanaged.passUnretained(process).toOpaque()
        sf_retain_unpublished(raw)
        insert(process, raw: raw)
    }

    @inline(__always)
    private func insert(_ process: ProcessCore, raw: UnsafeMutableRawPointer) {
        let shard = Int(sf_thread_shard(UInt32(Self.shardBits)))
        process.tableShard = UInt8(truncatingIfNeeded: shard)
        shards[shard]._withUnsafeGuaranteedRef { $0.insert(process, raw: raw, serialBlocks: serialBlocks) }
    }

    /// Gives `process` its serial number before it is inserted (see ``ProcessTableShard/assignSerial(_:serialBlocks:)``).
    func assignSerial(_ process: ProcessCore) {
        let shard = Int(sf_thread_shard(UInt32(Self.shardBits)))
        shards[shard]._withUnsafeGuaranteedRef { $0.assignSerial(process, serialBlocks: serialBlocks) }
    }

    /// Processes inserted since start (a relaxed sum over the shards).
    var inserted: Int {
        shards.reduce(0) { total, shard in total &+ shard._withUnsafeGuaranteedRef { $0.inserted.load(ordering: .relaxed) } }
    }

    /// Drops the table's reference to an ended process (possibly its last one).
    func remove(_ process: ProcessCore) {
        let raw = Unmanaged.passUnretained(process).toOpaque()
        let slot = process.tableSlot
        guard shards[Int(process.tableShard)]._withUnsafeGuaranteedRef({ $0.remove(raw, at: slot) }) else { return }
        count.wrappingSubtract(1, ordering: .relaxed)
        // The table's reference is released here, outside the lock.
        Unmanaged<ProcessCore>.fromOpaque(raw).release()
    }

    /// Every live process (a snapshot).
    func all() -> [ProcessCore] {
        var result: [ProcessCore] = []
        for shard in shards { shard._withUnsafeGuaranteedRef { $0.appendAll(to: &result) } }
        return result
    }
}

/// One shard of the ``ProcessTable``: chunks of `UInt` slots and an intrusive free list.
private final class ProcessTableShard: @unchecked Sendable {
    // Safe: every stored `var` is touched only while `lock` is held (a test-and-test-and-set
    // spin lock, as in the run queues: the critical sections are a few instructions).

    private static let chunkBits = 12
    private static let chunkSize = 1 << chunkBits
    private static let noFree = UInt.max
    /// How a free slot is marked when it ends the free list.
    private static let lastFree = UInt.max

    private let lock = Atomic<Int>(0)
    /// Slot chunks; chunk `i` holds slots `i << chunkBits ..< (i + 1) << chunkBits`.
    @exclusivity(unchecked) private var directory: UnsafeMutablePointer<UnsafeMutablePointer<UInt>>
    @exclusivity(unchecked) private var directoryCapacity = 16
    @exclusivity(unchecked) private var chunkCount = 0
    /// Slots ever handed out (the high-water mark).
    @exclusivity(unchecked) private var used = 0
    /// First free slot, or `noFree`; a free slot stores `next << 1 | 1`, or `lastFree`.
    @exclusivity(unchecked) private var freeHead = ProcessTableShard.noFree
    /// The next serial to hand out, and the end of this shard's current block (equal: none left).
    @exclusivity(unchecked) private var nextSerial: UInt64 = 0
    @exclusivity(unchecked) private var serialsEnd: UInt64 = 0
    /// Processes inserted into this shard so far (written under the lock, read by anyone).
    let inserted = Atomic<Int>(0)

    init() {
        directory = .allocate(capacity: directoryCapacity)
    }

    deinit {
        for index in 0..<chunkCount { directory[index].deallocate() }
        directory.deallocate()
    }

    @inline(__always)
    private func acquire() {
        while lock.exchange(1, ordering: .acquiring) != 0 {
            while lock.load(ordering: .relaxed) != 0 { sf_cpu_relax() }
        }
    }

    @inline(__always)
    private func release() {
        lock.store(0, ordering: .releasing)
    }

    /// Stores `raw`, the retained pointer of `process`, and writes the process's slot and serial.
    @inline(__always)
    func insert(_ process: ProcessCore, raw: UnsafeMutableRawPointer, serialBlocks: borrowing Atomic<UInt64>) {
        let bits = UInt(bitPattern: raw)
        acquire()
        if process.serial == 0 { process.serial = takeSerial(from: serialBlocks) }
        inserted.store(inserted.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        let slot: Int
        if freeHead != Self.noFree {
            slot = Int(freeHead)
            let word = self.word(slot)
            freeHead = word.pointee == Self.lastFree ? Self.noFree : word.pointee >> 1
            word.pointee = bits
        } else {
            slot = used
            if slot >> Self.chunkBits == chunkCount { addChunk() }
            used = slot &+ 1
            word(slot).pointee = bits
        }
        process.tableSlot = UInt32(truncatingIfNeeded: slot)
        release()
    }

    /// Frees `slot` if it still holds `raw`; returns whether it did (the caller then releases).
    func remove(_ raw: UnsafeMutableRawPointer, at slot: UInt32) -> Bool {
        let index = Int(slot)
        acquire()
        defer { release() }
        guard index < used else { return false }
        let word = self.word(index)
        guard word.pointee == UInt(bitPattern: raw) else { return false }
        word.pointee = freeHead == Self.noFree ? Self.lastFree : (freeHead << 1 | 1)
        freeHead = UInt(index)
        return true
    }

    /// Appends every process in this shard to `result` (each retained by the array).
    func appendAll(to result: inout [ProcessCore]) {
        acquire()
        defer { release() }
        for index in 0..<used {
            let bits = word(index).pointee
            guard bits & 1 == 0, let raw = UnsafeRawPointer(bitPattern: bits) else { continue }
            result.append(Unmanaged<ProcessCore>.fromOpaque(raw).takeUnretainedValue())
        }
    }

    /// Gives `process` its serial number ahead of its insertion (a process about to be named is
    /// reachable by other threads before it is inserted).
    func assignSerial(_ process: ProcessCore, serialBlocks: borrowing Atomic<UInt64>) {
        acquire()
        process.serial = takeSerial(from: serialBlocks)
        release()
    }

    /// The next serial of this shard's block, reserving a new block when it is used up (locked).
    @inline(__always)
    private func takeSerial(from serialBlocks: borrowing Atomic<UInt64>) -> UInt64 {
        if nextSerial == serialsEnd {
            let block = serialBlocks.wrappingAdd(1, ordering: .relaxed).oldValue
            // Serial 0 means "not assigned yet" (and "no process" to the watchdog): block 0 starts at 1.
            nextSerial = Swift.max(1, block &* ProcessTable.serialBlockSize)
            serialsEnd = (block &+ 1) &* ProcessTable.serialBlockSize
        }
        let serial = nextSerial
        nextSerial &+= 1
        return serial
    }

    @inline(__always)
    private func word(_ slot: Int) -> UnsafeMutablePointer<UInt> {
        directory[slot >> Self.chunkBits] + (slot & (Self.chunkSize - 1))
    }

    private func addChunk() {
        if chunkCount == directoryCapacity {
            let grown = UnsafeMutablePointer<UnsafeMutablePointer<UInt>>.allocate(capacity: directoryCapacity * 2)
            grown.moveInitialize(from: directory, count: chunkCount)
            directory.deallocate()
            directory = grown
            directoryCapacity *= 2
        }
        (directory + chunkCount).initialize(to: .allocate(capacity: Self.chunkSize))
        chunkCount += 1
    }
}
