import Synchronization

/// What the history trimming on this node has done, for `/metrics`
/// (`siteflow_messages_trimmed_total`).
public final class HistoryTrimStatistics: Sendable {
    private let trimmedCount = Atomic<Int>(0)

    /// Creates statistics at zero.
    public init() {}

    /// The messages deleted by the trimming job on this node since it started.
    public var trimmed: Int { trimmedCount.load(ordering: .relaxed) }

    /// Counts `count` more deleted messages.
    func recordTrimmed(_ count: Int) {
        trimmedCount.add(count, ordering: .relaxed)
    }
}
