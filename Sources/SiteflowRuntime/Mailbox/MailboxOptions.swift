/// What a bounded mailbox does with a message that arrives when it is full.
public enum MailboxOverflowPolicy: Sendable, Hashable {
    /// Drop the arriving message; the sender is not told (``PID/send(_:)`` returns false).
    case dropNewest
    /// Queue the arriving message and drop the oldest queued one, so the process always sees the
    /// most recent messages (good for state updates such as prices or positions).
    case dropOldest
    /// Refuse the message: ``PID/deliver(_:)`` returns ``DeliveryResult/mailboxFull`` and
    /// ``PID/trySend(_:)`` throws, so the sender can slow down or shed load itself.
    case rejectSender
}

/// Mailbox limits of one process. Unbounded by default, as in Erlang; a bound protects a node
/// from a process that cannot keep up (a slow consumer) growing memory without limit.
public struct MailboxOptions: Sendable, Hashable {
    /// Most messages queued at once; `nil` means unbounded.
    public var capacity: Int?
    /// What happens to a message that arrives when ``capacity`` is reached.
    public var overflow: MailboxOverflowPolicy

    /// Creates mailbox options; the default is unbounded.
    @inlinable
    public init(capacity: Int? = nil, overflow: MailboxOverflowPolicy = .dropNewest) {
        self.capacity = capacity.map { Swift.max(1, $0) }
        self.overflow = overflow
    }

    /// An unbounded mailbox.
    @inlinable
    public static var unbounded: MailboxOptions { MailboxOptions() }

    /// A bounded mailbox with the given policy.
    public static func bounded(_ capacity: Int, overflow: MailboxOverflowPolicy) -> MailboxOptions {
        MailboxOptions(capacity: capacity, overflow: overflow)
    }
}

import Synchronization

/// The shared counters of a bounded mailbox (absent for unbounded ones, which pay nothing).
@usableFromInline
final class MailboxBound: Sendable {
    let capacity: Int
    let overflow: MailboxOverflowPolicy
    /// Messages the consumer must discard from the front (``MailboxOverflowPolicy/dropOldest``).
    let dropDebt = Atomic<Int>(0)
    /// Messages lost or refused because the mailbox was full.
    let overflowed = Atomic<Int>(0)

    init(capacity: Int, overflow: MailboxOverflowPolicy) {
        self.capacity = capacity
        self.overflow = overflow
    }
}
