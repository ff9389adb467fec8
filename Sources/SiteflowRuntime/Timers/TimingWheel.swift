/// A hierarchical timing wheel: a pure data structure with no thread and no clock of its own.
///
/// Time is passed in as monotonic `UInt64` nanoseconds. Scheduling and cancelling are O(1);
/// ``advance(to:_:)`` fires every timer whose deadline is `<= now`, in deadline order
/// (timers with equal deadlines fire in unspecified order).
///
/// Layout: level `L` has `slotsPerLevel` slots, each slot spanning `slotsPerLevel^L` ticks.
/// A timer lives in the lowest level whose range covers its distance from the wheel's cursor;
/// when the cursor reaches the start of a higher-level slot, that slot's timers cascade down.
/// Timers are nodes in one array-backed slab (indices, not objects) linked into per-slot intrusive
/// doubly linked lists, with a free list; once the slab has grown, scheduling allocates nothing.
/// A per-level occupancy bitmap lets ``advance(to:_:)`` skip empty stretches of time, so jumping
/// hours or days ahead costs a handful of cascades, not one step per tick.
///
/// - Note: A timer is filed under the tick `deadline / tick` (rounded down), and the tick that
///   contains `now` is filtered by exact deadline, so timers never fire early and fire on the
///   first `advance` whose `now` reaches their deadline.
package struct TimingWheel<Payload> {
    /// One slab slot: a pending timer, a free slot (on the free list), or a timer being fired.
    struct Node {
        var deadline: UInt64
        var next: UInt32
        var prev: UInt32
        var generation: UInt32
        /// `level * slotsPerLevel + slot` while pending; `freeMarker` or `firingMarker` otherwise.
        var bucket: UInt32
        var payload: Payload?
    }

    static var none: UInt32 { .max }
    static var freeMarker: UInt32 { .max }
    static var firingMarker: UInt32 { .max - 1 }

    /// Nanoseconds per tick.
    package let tickNanoseconds: UInt64
    /// Slots in each level of the wheel (a power of two between 2 and 64).
    package let slotsPerLevel: Int
    /// Number of levels; enough that every `UInt64` tick distance fits.
    package let levelCount: Int

    private let bitsPerLevel: Int
    private let slotMask: UInt64
    /// Tick of the cursor: cascades for ticks `<= cursor` are done, level-0 slots for ticks
    /// `< cursor` are empty; the slot for `cursor` may hold timers not yet due.
    private var cursor: UInt64
    private var heads: [UInt32]
    private var occupied: [UInt64]
    private var nodes: [Node]
    private var freeHead: UInt32
    private var batch: [UInt32]
    private var rearmed: [(index: UInt32, deadline: UInt64)]

    /// The number of pending timers.
    package private(set) var count: Int

    /// Whether no timer is pending.
    package var isEmpty: Bool { count == 0 }

    /// Creates an empty wheel.
    ///
    /// - Parameters:
    ///   - tickNanoseconds: Resolution of the wheel's buckets (default 1 ms); must be > 0.
    ///   - slotsPerLevel: Slots per level, a power of two in `2...64` (default 64).
    ///   - startTime: The current time; the wheel's cursor starts at this instant.
    ///   - capacity: Timers to reserve slab room for up front.
    package init(
        tickNanoseconds: UInt64 = 1_000_000,
        slotsPerLevel: Int = 64,
        startTime: UInt64 = 0,
        capacity: Int = 0
    ) {
        precondition(tickNanoseconds > 0, "TimingWheel tick must be positive")
        precondition(
            slotsPerLevel >= 2 && slotsPerLevel <= 64 && slotsPerLevel.nonzeroBitCount == 1,
            "TimingWheel slotsPerLevel must be a power of two in 2...64"
        )
        let bits = slotsPerLevel.trailingZeroBitCount
        let levels = (64 + bits - 1) / bits
        self.tickNanoseconds = tickNanoseconds
        self.slotsPerLevel = slotsPerLevel
        self.levelCount = levels
        self.bitsPerLevel = bits
        self.slotMask = UInt64(slotsPerLevel - 1)
        self.cursor = startTime / tickNanoseconds
        self.heads = Array(repeating: Self.none, count: levels * slotsPerLevel)
        self.occupied = Array(repeating: 0, count: levels)
        self.nodes = []
        self.nodes.reserveCapacity(max(0, capacity))
        self.freeHead = Self.none
        self.batch = []
        self.rearmed = []
        self.count = 0
    }

    // MARK: - Scheduling

    /// Schedules `payload` to fire once `advance(to:)` reaches `deadline` (ns); O(1).
    ///
    /// A deadline already in the past fires on the next ``advance(to:_:)``.
    package mutating func schedule(_ payload: Payload, at deadline: UInt64) -> TimerID {
        let index: UInt32
        if freeHead != Self.none {
            index = freeHead
            let slot = Int(index)
            freeHead = nodes[slot].next
            nodes[slot].deadline = deadline
            nodes[slot].payload = payload
        } else {
            precondition(nodes.count < Int(Self.firingMarker), "TimingWheel slab is full")
            index = UInt32(truncatingIfNeeded: nodes.count)
            nodes.append(
                Node(deadline: deadline, next: Self.none, prev: Self.none, generation: 0,
                     bucket: Self.freeMarker, payload: payload)
            )
        }
        link(index, deadline: deadline)
        count += 1
        return TimerID(index: index, generation: nodes[Int(index)].generation)
    }

    /// Cancels a pending timer and returns its payload; O(1).
    ///
    /// Returns `nil` (and changes nothing) if the timer already fired, was cancelled, or `id` is stale.
    package mutating func cancel(_ id: TimerID) -> Payload? {
        guard isPending(id) else { return nil }
        let slot = Int(id.index)
        unlink(id.index)
        let payload = nodes[slot].payload.take()
        release(id.index)
        count -= 1
        return payload
    }

    /// Whether `id` names a timer that is still pending.
    package func isPending(_ id: TimerID) -> Bool {
        let slot = Int(id.index)
        guard slot < nodes.count else { return false }
        return nodes[slot].generation == id.generation && nodes[slot].bucket < Self.firingMarker
    }

    /// The deadline of a pending timer, or `nil` if `id` is not pending.
    package func deadline(of id: TimerID) -> UInt64? {
        isPending(id) ? nodes[Int(id.index)].deadline : nil
    }

    // MARK: - Firing

    /// Fires, in deadline order, every pending timer whose deadline is `<= now`, removing each
    /// before `fire` sees it. Far-future timers cascade to lower levels as the cursor reaches them.
    package mutating func advance(to now: UInt64, _ fire: (TimerID, Payload) -> Void) {
        advance(to: now) { (id: TimerID, payload: Payload, _: UInt64) -> UInt64? in
            fire(id, payload)
            return nil
        }
    }

    /// Like ``advance(to:_:)``, but `fire` may return a new deadline to re-arm the same timer
    /// (same ``TimerID``, same payload); `nil` removes it.
    ///
    /// `fire` receives the timer's deadline. A re-armed timer is re-inserted after this call has
    /// fired everything else, so it fires no earlier than the next `advance`, even if its new
    /// deadline is `<= now`.
    package mutating func advance(
        to now: UInt64,
        rearming fire: (TimerID, Payload, _ deadline: UInt64) -> UInt64?
    ) {
        let nowTick = now / tickNanoseconds
        while true {
            fireSlot(ofTick: cursor, now: now, everything: cursor < nowTick, fire)
            if cursor >= nowTick { break }
            let target = min(nextEventTick(), nowTick)
            cursor = target
            cascade(at: target)
        }
        if !rearmed.isEmpty {
            for entry in rearmed {
                nodes[Int(entry.index)].deadline = entry.deadline
                link(entry.index, deadline: entry.deadline)
            }
            rearmed.removeAll(keepingCapacity: true)
        }
    }

    /// The earliest pending deadline, or `nil` when empty; never later than the true earliest.
    ///
    /// Exact for timers within one revolution of level 0 (`slotsPerLevel` ticks); for farther
    /// timers it is the start of the tick at which they cascade, so a sleeper waking then finds
    /// either due timers or a more precise `nextDeadline`.
    package var nextDeadline: UInt64? {
        guard count > 0 else { return nil }
        var best = UInt64.max
        let level0 = occupied[0]
        if level0 != 0 {
            let steps = Self.firstSetBit(in: level0, from: Int(cursor & slotMask), width: slotsPerLevel)
            var index = heads[Int((cursor &+ UInt64(steps)) & slotMask)]
            while index != Self.none {
                best = min(best, nodes[Int(index)].deadline)
                index = nodes[Int(index)].next
            }
        }
        for level in 1..<levelCount where occupied[level] != 0 {
            let tick = cascadeTick(level: level)
            let (time, overflow) = tick.multipliedReportingOverflow(by: tickNanoseconds)
            best = min(best, overflow ? .max : time)
        }
        return best
    }

    // MARK: - Internals

    /// Files node `index` into the bucket for `deadline`, relative to the cursor.
    private mutating func link(_ index: UInt32, deadline: UInt64) {
        let tick = max(deadline / tickNanoseconds, cursor)
        let delta = tick - cursor
        var level = 0
        if delta > slotMask {
            let highestBit = UInt64.bitWidth - 1 - delta.leadingZeroBitCount
            level = min(highestBit / bitsPerLevel, levelCount - 1)
        }
        let slot = Int((tick >> UInt64(level * bitsPerLevel)) & slotMask)
        let bucket = level * slotsPerLevel + slot
        let head = heads[bucket]
        let node = Int(index)
        nodes[node].next = head
        nodes[node].prev = Self.none
        nodes[node].bucket = UInt32(truncatingIfNeeded: bucket)
        if head != Self.none {
            nodes[Int(head)].prev = index
        }
        heads[bucket] = index
        occupied[level] |= 1 << UInt64(slot)
    }

    /// Removes pending node `index` from its bucket's list.
    private mutating func unlink(_ index: UInt32) {
        let node = Int(index)
        let next = nodes[node].next
        let prev = nodes[node].prev
        let bucket = Int(nodes[node].bucket)
        if prev != Self.none {
            nodes[Int(prev)].next = next
        } else {
            heads[bucket] = next
            if next == Self.none {
                let level = bucket / slotsPerLevel
                occupied[level] &= ~(1 << UInt64(bucket % slotsPerLevel))
            }
        }
        if next != Self.none {
            nodes[Int(next)].prev = prev
        }
        nodes[node].next = Self.none
        nodes[node].prev = Self.none
    }

    /// Puts node `index` (already unlinked, payload taken) on the free list.
    private mutating func release(_ index: UInt32) {
        let node = Int(index)
        nodes[node].generation &+= 1
        nodes[node].bucket = Self.freeMarker
        nodes[node].next = freeHead
        freeHead = index
    }

    /// Detaches every node in `bucket` and returns the list head.
    private mutating func detach(bucket: Int) -> UInt32 {
        let head = heads[bucket]
        heads[bucket] = Self.none
        let level = bucket / slotsPerLevel
        occupied[level] &= ~(1 << UInt64(bucket % slotsPerLevel))
        return head
    }

    /// Fires the level-0 slot of `tick` (all of it, or only timers with deadline `<= now`).
    private mutating func fireSlot(
        ofTick tick: UInt64,
        now: UInt64,
        everything: Bool,
        _ fire: (TimerID, Payload, UInt64) -> UInt64?
    ) {
        let bucket = Int(tick & slotMask)
        guard heads[bucket] != Self.none else { return }
        var due = [UInt32]()
        swap(&due, &batch)
        if everything {
            var index = detach(bucket: bucket)
            while index != Self.none {
                let node = Int(index)
                let next = nodes[node].next
                nodes[node].bucket = Self.firingMarker
                due.append(index)
                index = next
            }
        } else {
            var index = heads[bucket]
            while index != Self.none {
                let node = Int(index)
                let next = nodes[node].next
                if nodes[node].deadline <= now {
                    unlink(index)
                    nodes[node].bucket = Self.firingMarker
                    due.append(index)
                }
                index = next
            }
        }
        if due.count > 1 {
            due.sort { nodes[Int($0)].deadline < nodes[Int($1)].deadline }
        }
        for index in due {
            let node = Int(index)
            guard let payload = nodes[node].payload.take() else { continue }
            let deadline = nodes[node].deadline
            let id = TimerID(index: index, generation: nodes[node].generation)
            if let next = fire(id, payload, deadline) {
                nodes[node].payload = payload
                rearmed.append((index, next))
            } else {
                release(index)
                count -= 1
            }
        }
        due.removeAll(keepingCapacity: true)
        swap(&due, &batch)
    }

    /// Moves the timers of every higher-level slot that starts at `tick` down the hierarchy.
    private mutating func cascade(at tick: UInt64) {
        for level in 1..<levelCount {
            let shift = UInt64(level * bitsPerLevel)
            if tick & ((1 << shift) - 1) != 0 { break }
            let slot = Int((tick >> shift) & slotMask)
            guard occupied[level] & (1 << UInt64(slot)) != 0 else { continue }
            var index = detach(bucket: level * slotsPerLevel + slot)
            while index != Self.none {
                let node = Int(index)
                let next = nodes[node].next
                link(index, deadline: nodes[node].deadline)
                index = next
            }
        }
    }

    /// The first tick after the cursor at which a level-0 slot fires or a higher slot cascades.
    private func nextEventTick() -> UInt64 {
        var best = UInt64.max
        let level0 = occupied[0] & ~(1 << (cursor & slotMask))
        if level0 != 0 {
            let steps = Self.firstSetBit(in: level0, from: Int(cursor & slotMask), width: slotsPerLevel)
            best = cursor &+ UInt64(steps)
        }
        for level in 1..<levelCount where occupied[level] != 0 {
            best = min(best, cascadeTick(level: level))
        }
        return best
    }

    /// The next tick after the cursor at which an occupied slot of `level` (>= 1) cascades.
    ///
    /// A timer at level `L` sits in a block between 1 and `slotsPerLevel` blocks ahead of the
    /// cursor's block, so the slot of the cursor's own block means a full revolution ahead.
    private func cascadeTick(level: Int) -> UInt64 {
        let shift = UInt64(level * bitsPerLevel)
        let block = cursor >> shift
        let current = Int(block & slotMask)
        let bits = occupied[level]
        let others = bits & ~(1 << UInt64(current))
        let steps = others != 0
            ? Self.firstSetBit(in: others, from: current, width: slotsPerLevel)
            : slotsPerLevel
        let (target, overflow) = block.addingReportingOverflow(UInt64(steps))
        guard !overflow, target.leadingZeroBitCount >= Int(shift) else { return .max }
        return target << shift
    }

    /// Steps from slot `start` (inclusive, wrapping within `width` slots) to the first set bit.
    private static func firstSetBit(in bits: UInt64, from start: Int, width: Int) -> Int {
        let full: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        let rotated = start == 0
            ? bits
            : ((bits >> UInt64(start)) | (bits << UInt64(width - start))) & full
        return rotated.trailingZeroBitCount
    }
}

extension TimingWheel: Sendable where Payload: Sendable {}
extension TimingWheel.Node: Sendable where Payload: Sendable {}
