import CSiteflowRuntime
public import Synchronization

/// One queued message: a raw block (no object header), pooled per worker. `next` must stay the
/// first field: the non-generic inbox code walks chains through it.
@usableFromInline
struct MessageNode<Message> {
    @usableFromInline var next: UInt
    @usableFromInline var message: Message

    @inlinable init(next: UInt, message: Message) {
        self.next = next
        self.message = message
    }
}

/// A process's typed mailbox: lock-free multi-producer send, single-consumer receive.
///
/// `send` pushes a node with one compare-and-swap on the inbox word; the sender that finds the
/// process idle schedules it. The owner takes the whole stack with one exchange and reverses it
/// into a private FIFO, so messages from one sender arrive in the order they were sent.
///
/// The send and receive paths are `@inlinable` so they are specialised for each message type in
/// the module that uses it.
@usableFromInline
package class Mailbox<Message: Sendable>: ProcessCore, @unchecked Sendable {
    // Safe: see ProcessCore; nodes are owned by the inbox until the owner takes them.

    @usableFromInline typealias Node = UnsafeMutablePointer<MessageNode<Message>>

    /// Declared (rather than inherited) so that the behaviour cells' `@inlinable` initialisers
    /// can call it: spawn then runs fully specialised for the behaviour's type.
    @usableFromInline
    override init(runtime: borrowing Runtime, blocking: Bool, bound: MailboxBound?, startsRunning: Bool) {
        super.init(runtime: runtime, blocking: blocking, bound: bound, startsRunning: startsRunning)
    }

    @inlinable
    static var nodeSize: Int { MemoryLayout<MessageNode<Message>>.size }
    @inlinable
    static var nodeAlignment: Int { MemoryLayout<MessageNode<Message>>.alignment }

    @inlinable
    final func send(_ message: sending Message) -> DeliveryResult {
        if let bound {
            return sendBounded(message, bound: bound)
        }
        return push(message)
    }

    @inlinable
    final func push(_ message: sending Message) -> DeliveryResult {
        let node = MessageNodeAllocator.allocate(bytes: Self.nodeSize, alignment: Self.nodeAlignment)
            .bindMemory(to: MessageNode<Message>.self, capacity: 1)
        node.initialize(to: MessageNode(next: 0, message: message))
        if pushNode(UInt(bitPattern: node)) { return .queued }
        node.deinitialize(count: 1)
        MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
        return .deadProcess
    }

    @usableFromInline
    final func sendBounded(_ message: sending Message, bound: MailboxBound) -> DeliveryResult {
        if !isAlive { return .deadProcess }
        let length = Int(pending.load(ordering: .relaxed)) + Int(fifoCount.load(ordering: .relaxed))
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
    @inlinable
    final func takeMessage() -> Message? {
        var head = fifo
        if head == 0 {
            head = refill()
            if head == 0 { return nil }
            if bound != nil {
                head = payDropDebt(head)
                if head == 0 { return nil }
            }
        }
        let node = Node(bitPattern: head).unsafelyUnwrapped
        fifo = node.pointee.next
        let message = node.move().message
        MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
        fifoCount.store(fifoCount.load(ordering: .relaxed) &- 1, ordering: .relaxed)
        return message
    }

    /// Owner: drops the oldest messages that ``MailboxOverflowPolicy/dropOldest`` senders owe.
    @usableFromInline
    final func payDropDebt(_ head: UInt) -> UInt {
        guard let bound else { return head }
        var head = head
        while bound.dropDebt.load(ordering: .relaxed) > 0 && head != 0 {
            let node = Node(bitPattern: head).unsafelyUnwrapped
            head = node.pointee.next
            node.deinitialize(count: 1)
            MessageNodeAllocator.deallocate(UnsafeMutableRawPointer(node), bytes: Self.nodeSize, alignment: Self.nodeAlignment)
            bound.dropDebt.wrappingSubtract(1, ordering: .relaxed)
            fifoCount.store(fifoCount.load(ordering: .relaxed) &- 1, ordering: .relaxed)
        }
        fifo = head
        return head
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
        Swift.max(0, Int(pending.load(ordering: .relaxed)) + Int(fifoCount.load(ordering: .relaxed)))
    }
}

extension ProcessCore {
    /// Pushes a message node (its first word is the link); schedules the process if it was idle.
    /// Returns false, leaving the node to the caller, if the process has ended.
    @usableFromInline
    final func pushNode(_ bits: UInt) -> Bool {
        switch pushNodeClaiming(bits) {
        case .claimed:
            scheduleSelf()
            return true
        case .queued: return true
        case .dead: return false
        }
    }

    /// What ``pushNodeClaiming(_:)`` did.
    @usableFromInline
    enum PushOutcome {
        /// Queued behind a scheduled or running process.
        case queued
        /// Queued, and the process was idle: the pusher owns its next run.
        case claimed
        /// The process has ended; the node is still the pusher's.
        case dead
    }

    /// Pushes a message node (its first word is the link) without scheduling anything.
    @usableFromInline
    final func pushNodeClaiming(_ bits: UInt) -> PushOutcome {
        let link = UnsafeMutablePointer<UInt>(bitPattern: bits).unsafelyUnwrapped
        var old = inbox.load(ordering: .relaxed)
        while true {
            if old == InboxWord.dead { return .dead }
            link.pointee = InboxWord.isNode(old) ? old : 0
            let result = inbox.compareExchange(
                expected: old, desired: bits, successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
            if result.exchanged { break }
            old = result.original
        }
        pending.wrappingAdd(1, ordering: .relaxed)
        return old == InboxWord.idle ? .claimed : .queued
    }

    /// Owner: takes the inbox stack and reverses it into the FIFO; returns the new head (0: empty).
    @usableFromInline
    final func refill() -> UInt {
        if !InboxWord.isNode(inbox.load(ordering: .relaxed)) { return 0 }
        var current = inbox.exchange(InboxWord.running, ordering: .acquiringAndReleasing)
        var previous: UInt = 0
        var count = 0
        while InboxWord.isNode(current) {
            let link = UnsafeMutablePointer<UInt>(bitPattern: current).unsafelyUnwrapped
            let next = link.pointee
            link.pointee = previous
            previous = current
            current = next
            count &+= 1
        }
        pending.wrappingSubtract(Int32(truncatingIfNeeded: count), ordering: .relaxed)
        fifoCount.store(Int32(truncatingIfNeeded: count), ordering: .relaxed)
        fifo = previous
        return previous
    }
}
