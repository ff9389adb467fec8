import CSiteflowRuntime
import Synchronization

/// Gives the C heap's free memory back to the system once a burst is over, so that a node's
/// resident memory falls back after a flood instead of staying at its peak.
///
/// glibc keeps freed memory in its arenas. ``check()`` trims with `malloc_trim(0)`, which gives
/// back every whole free page inside every arena and the top of the main arena, when more heap
/// is free than the policy keeps and something changed since the last trim: more is free, or
/// the node is bigger again (free pages that a trim released stay counted as free by malloc, so
/// "free" alone would trim again and again). The top of a thread's arena shrinks only when memory
/// next to it is freed, down to `M_TOP_PAD`: a serving node keeps glibc's small default pad for
/// that reason (``HeapGrowth``'s 64 MiB pad is for benchmarks; measured in RELIABILITY.md).
/// It takes the arenas' locks while it walks them: run it from a process on the blocking pool
/// (``childSpec(name:)``), never on a scheduler worker or an event loop.
public final class HeapTrimmer: Sendable {
    /// When a trim is worth its cost.
    public struct Policy: Sendable {
        /// Free heap below this is always kept (the next burst reuses it). Default 32 MiB.
        public var keepFreeBytes: Int
        /// After a trim, another waits until the node's resident memory or its free heap has
        /// grown by this much. Default 8 MiB.
        public var retrimGrowthBytes: Int
        /// Free heap up to this multiple of the live heap is kept. Default 1 (trim when more is
        /// free than in use).
        public var keepFreeToLiveRatio: Double
        /// How often ``childSpec(name:)``'s process checks. Default 10 s.
        public var interval: Duration

        /// A policy; see each property for its default.
        public init(keepFreeBytes: Int = 32 << 20, retrimGrowthBytes: Int = 8 << 20, keepFreeToLiveRatio: Double = 1, interval: Duration = .seconds(10)) {
            self.keepFreeBytes = keepFreeBytes
            self.retrimGrowthBytes = retrimGrowthBytes
            self.keepFreeToLiveRatio = keepFreeToLiveRatio
            self.interval = interval
        }

        /// Whether to trim now: `heap` is what malloc says now, `last` what it said right after
        /// the previous trim (nil if none yet).
        public func trims(_ heap: HeapReading, after last: HeapReading?) -> Bool {
            guard heap.free > max(keepFreeBytes, Int(Double(heap.live) * keepFreeToLiveRatio)) else { return false }
            guard let last else { return true }
            return heap.free > last.free + retrimGrowthBytes || heap.resident > last.resident + retrimGrowthBytes
        }
    }

    /// The heap's state at one moment.
    public struct HeapReading: Sendable, Equatable {
        /// Bytes malloc holds free in its arenas.
        public var free: Int
        /// Bytes allocated and not freed.
        public var live: Int
        /// The OS process's resident memory (RSS).
        public var resident: Int

        /// A reading; see each property.
        public init(free: Int, live: Int, resident: Int) {
            self.free = free
            self.live = live
            self.resident = resident
        }

        /// The heap now (zeros where the C library or the OS does not say).
        public static func now() -> HeapReading {
            HeapReading(free: Int(sf_heap_free()), live: Int(sf_heap_in_use()), resident: OwnProcess.residentBytes())
        }
    }

    /// What one trim did: the heap before and after.
    public struct Trim: Sendable, Equatable {
        /// The heap before the trim.
        public var before: HeapReading
        /// The heap after it.
        public var after: HeapReading
        /// Resident bytes the trim gave back to the system.
        public var released: Int { max(0, before.resident - after.resident) }
    }

    /// The policy ``check()`` applies.
    public let policy: Policy
    private let state = Mutex<(trims: Int, released: Int, last: HeapReading?)>((0, 0, nil))

    /// A trimmer applying `policy`.
    public init(policy: Policy = Policy()) { self.policy = policy }

    /// Free heap bytes now (what malloc holds free in its arenas), 0 where the C library does not say.
    public static var freeBytes: Int { Int(sf_heap_free()) }

    /// Trims the heap if the policy says so. Returns what the trim did, or nil if none was due.
    @discardableResult
    public func check() -> Trim? {
        let before = HeapReading.now()
        guard policy.trims(before, after: state.withLock({ $0.last })) else { return nil }
        _ = sf_malloc_trim()
        let trim = Trim(before: before, after: HeapReading.now())
        state.withLock { state in
            state.trims += 1
            state.released += trim.released
            state.last = trim.after
        }
        return trim
    }

    /// Trims done since start.
    public var trims: Int { state.withLock { $0.trims } }
    /// Resident bytes the trims gave back to the system since start.
    public var releasedBytes: Int { state.withLock { $0.released } }

    /// A supervised process on the blocking pool, registered as `name`, that runs ``check()``
    /// every ``Policy/interval``.
    public func childSpec(name: String) -> ChildSpec {
        .server(id: "heap_trimmer", options: SpawnOptions(blocking: true, name: name)) { [self] in HeapTrimProcess(trimmer: self) }
    }
}

/// The process of ``HeapTrimmer/childSpec(name:)``: a tick on the runtime's timers, a check.
struct HeapTrimProcess: GenServer {
    enum Tick: Sendable { case tick }
    typealias Info = Tick

    let trimmer: HeapTrimmer

    mutating func initialize(context: ServerContext<Self>) throws {
        scheduleTick(context)
    }

    mutating func handleCall(_ request: Never, from caller: Caller<Void>, context: ServerContext<Self>) throws -> CallResult<Void> {}

    mutating func handleInfo(_ message: Tick, context: ServerContext<Self>) throws {
        trimmer.check()
        scheduleTick(context)
    }

    private func scheduleTick(_ context: ServerContext<Self>) {
        context.runtime.sendAfter(.info(.tick), to: context.pid, after: trimmer.policy.interval)
    }

    static var kind: String { "heap_trimmer" }
}
