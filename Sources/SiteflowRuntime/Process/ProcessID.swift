/// The untyped identity of a process: comparable, hashable and printable (`<0.42.0>`), usable to
/// link, monitor, or send exit signals, but not to send messages (see ``PID``).
///
/// A `ProcessID` stays valid after its process ended: operations on it then see a dead process.
public struct ProcessID: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline let core: ProcessCore

    @inlinable init(_ core: ProcessCore) { self.core = core }

    /// A number unique among the processes of this runtime.
    public var serial: UInt64 { core.serial }

    /// Whether the process is still running (a snapshot: it may end right after).
    public var isAlive: Bool { core.isAlive }

    public var description: String { "<0.\(core.serial).0>" }

    public static func == (lhs: ProcessID, rhs: ProcessID) -> Bool { lhs.core === rhs.core }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(core)) }
}

/// The typed address of a process whose mailbox takes `Message`: sending anything else does not
/// compile. Sending is synchronous, never blocks, works from any thread, and is dropped silently
/// when the process has ended (as in Erlang).
public struct PID<Message: Sendable>: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline let mailbox: Mailbox<Message>

    @inlinable init(_ mailbox: Mailbox<Message>) { self.mailbox = mailbox }

    /// Delivers `message` to the process's mailbox (or applies its overflow policy).
    /// - Returns: whether the message was queued (false: the process is dead, or a bounded
    ///   mailbox dropped it). Most callers ignore this, as in Erlang.
    @inlinable
    @discardableResult
    public func send(_ message: sending Message) -> Bool {
        mailbox.send(message) == .queued
    }

    /// Like ``send(_:)`` but reports exactly what happened to the message.
    @inlinable
    public func deliver(_ message: sending Message) -> DeliveryResult {
        mailbox.send(message)
    }

    /// The untyped identity of this process.
    public var id: ProcessID { ProcessID(mailbox) }

    /// Whether the process is still running (a snapshot).
    public var isAlive: Bool { mailbox.isAlive }

    public var description: String { id.description }

    public static func == (lhs: PID, rhs: PID) -> Bool { lhs.mailbox === rhs.mailbox }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(mailbox)) }
}

/// What happened to one sent message.
public enum DeliveryResult: Sendable, Hashable {
    /// The message is in the mailbox.
    case queued
    /// The process has ended; the message was dropped.
    case deadProcess
    /// The bounded mailbox was full and its policy dropped this message (``MailboxOverflowPolicy/dropNewest``
    /// or ``MailboxOverflowPolicy/rejectSender``); with ``MailboxOverflowPolicy/dropOldest`` the
    /// message is queued and the oldest one is dropped instead, which reports ``queued``.
    case mailboxFull
}
