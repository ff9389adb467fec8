import Synchronization
/// One queued message: a raw block (no object header), pooled per worker.
struct MessageNode<Message> {
    var next: UInt
    var message: Message
}

/// A process's typed mailbox: lock-free multi-producer send, single-consumer receive.
///
/// `send` pushes a node with one compare-and-swap on the inbox word; the sender that finds the
/// process idle schedules it. The owner takes the whole stack with one exchange and reverses it
/// into a private FIFO, so messages from one sender arrive in the order they were sent.
public class Mailbox<Message: Sendable>: ProcessCore, @unchecked Sendable {
    // Safe: see ProcessCore; nodes are owned by the inbox until the owner takes them.

    typealias Node = UnsafeMutablePointer<MessageNode<Message>>

    @inline(__always)
    static var nodeSize: Int { MemoryLayout<MessageNode<Message>>.size }
    @inline(__always)
    static var nodeAlignment: Int { MemoryLayout<MessageNode<Message>>.alignment }

    @inline(__always)
    final func send(_ message: sending Message) -> DeliveryResult {
        if let bound {
            return sendBounded(message, bound: bound)
        }
        return push(message)
    }

    @inline(__always)
    private final func push(_ message: sending Message) -> DeliveryResult {
        let node = MessageNodeAllocator.allocate(bytes: Self.nodeSize, alignment: Self.nodeAlignment)
            .bindMemory(to: MessageNode<Message>.self, capacity: 1)
        node.initialize(to: MessageNode(next: 0, message: message))
        let bits = UInt(bitPattern: node)
        var old = inbox.load(ordering: .relaxed)
        while true {
            if old == InboxWord.dead {
                node.deinitialize(count: 1)
                MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
                return .deadProcess
            }
            node.pointee.next = InboxWord.isNode(old) ? old : 0
            let result = inbox.compareExchange(
                expected: old, desired: bits, successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
            if result.exchanged { break }
            old = result.original
        }
        pending.wrappingAdd(1, ordering: .relaxed)
        if old == InboxWord.idle { scheduleSelf() }
        return .queued
    }

    private final func sendBounded(_ message: sending Message, bound: MailboxBound) -> DeliveryResult {
        if !isAlive { return .deadProcess }
        let length = pending.load(ordering: .relaxed) + fifoCount.load(ordering: .relaxed)
            - bound.dropDebt.load(ordering: .relaxed)
        if length >= bound.capacity {
            bound.overflowed.wrappingAdd(1, ordering: .relaxed)
            runtime.statistics.mailboxOverflowCounter.wrappingAdd(1, ordering: .relaxed)
            switch bound.overflow {
            case .dropNewest, .rejectSender:
                return .mailboxFull
            case .dropOldest:
                bound.dropDebt.wrappingAdd(1, ordering: .relaxed)
            }
        }
        return push(message)
    }

    /// Owner: the next message in arrival order, or nil if the inbox is empty.
    @inline(__always)
    final func takeMessage() -> Message? {
        var head = fifo
        if head == 0 {
            head = refill()
            if head == 0 { return nil }
        }
        let node = Node(bitPattern: head).unsafelyUnwrapped
        fifo = node.pointee.next
        let message = node.move().message
        MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
        fifoCount.store(fifoCount.load(ordering: .relaxed) &- 1, ordering: .relaxed)
        return message
    }

    /// Owner: takes the inbox stack and reverses it into the FIFO; returns the new head (0: empty).
    private final func refill() -> UInt {
        if !InboxWord.isNode(inbox.load(ordering: .relaxed)) { return 0 }
        let top = inbox.exchange(InboxWord.running, ordering: .acquiringAndReleasing)
        var previous: UInt = 0
        var current = top
        var count = 0
        while InboxWord.isNode(current) {
            let node = Node(bitPattern: current).unsafelyUnwrapped
            let next = node.pointee.next
            node.pointee.next = previous
            previous = current
            current = next
            count &+= 1
        }
        pending.wrappingSubtract(count, ordering: .relaxed)
        fifoCount.store(count, ordering: .relaxed)
        if let bound {
            var debt = bound.dropDebt.load(ordering: .relaxed)
            while debt > 0 && previous != 0 {
                let node = Node(bitPattern: previous).unsafelyUnwrapped
                previous = node.pointee.next
                node.deinitialize(count: 1)
                MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
                bound.dropDebt.wrappingSubtract(1, ordering: .relaxed)
                fifoCount.store(fifoCount.load(ordering: .relaxed) &- 1, ordering: .relaxed)
                debt &-= 1
            }
        }
        fifo = previous
        return previous
    }

    override final func discardQueuedMessages(top: UInt) {
        var current = top
        while InboxWord.isNode(current) {
            let node = Node(bitPattern: current).unsafelyUnwrapped
            current = node.pointee.next
            node.deinitialize(count: 1)
            MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
        }
        current = fifo
        fifo = 0
        while current != 0 {
            let node = Node(bitPattern: current).unsafelyUnwrapped
            current = node.pointee.next
            node.deinitialize(count: 1)
            MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
        }
    }

    /// Messages waiting (a snapshot; exact when the process is idle).
    final var mailboxLength: Int {
        Swift.max(0, pending.load(ordering: .relaxed) + fifoCount.load(ordering: .relaxed))
    }
}
