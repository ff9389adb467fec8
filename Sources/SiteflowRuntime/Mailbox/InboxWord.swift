/// The states of a process's inbox word. Any other value is a pointer to the newest message node
/// (nodes are at least 16-byte aligned, so they never collide with these).
///
/// - `running`: the process is scheduled or running and nothing new arrived since it last looked.
/// - `idle`: empty and not scheduled; the sender that replaces `idle` schedules the process
///   (exactly one does).
/// - `dead`: the process has ended; senders drop their message.
@usableFromInline
enum InboxWord {
    @usableFromInline static let running: UInt = 0
    @usableFromInline static let idle: UInt = 1
    @usableFromInline static let dead: UInt = 2

    @inlinable
    static func isNode(_ word: UInt) -> Bool { word > dead }
}
