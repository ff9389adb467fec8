/// A growable FIFO ring buffer of run-queue entries (unretained process pointers or tagged Swift
/// jobs). Always used under its worker's ``SpinLock``.
struct RunQueue: ~Copyable {
    private var buffer: UnsafeMutablePointer<UInt>
    private var capacity: Int
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    @inline(__always)
    mutating func push(_ entry: UInt) {
        if count == capacity { grow() }
        buffer[(head &+ count) & (capacity &- 1)] = entry
        count &+= 1
    }

    @inline(__always)
    mutating func pop() -> UInt? {
        if count == 0 { return nil }
        let entry = buffer[head]
        head = (head &+ 1) & (capacity &- 1)
        count &-= 1
        return entry
    }

    /// Moves up to `max` of the oldest entries into `out`; returns how many were moved.
    mutating func popBatch(into out: UnsafeMutablePointer<UInt>, max: Int) -> Int {
        let taken = Swift.min(max, count)
        for i in 0..<taken {
            out[i] = buffer[head]
            head = (head &+ 1) & (capacity &- 1)
        }
        count &-= taken
        return taken
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let newBuffer = UnsafeMutablePointer<UInt>.allocate(capacity: newCapacity)
        for i in 0..<count { newBuffer[i] = buffer[(head &+ i) & (capacity &- 1)] }
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
        head = 0
    }
}
