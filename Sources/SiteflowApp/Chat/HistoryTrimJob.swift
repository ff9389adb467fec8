import Foundation
public import SiteflowStore

/// The job that enforces ``HistoryRetention``: every 5 minutes (cron, unique per fire time, so
/// nodes sharing a database trim once) it deletes, room by room, the messages beyond each
/// room's newest ``HistoryRetention/keepPerRoom`` and those older than
/// ``HistoryRetention/maxAge``, in batches of ``HistoryRetention/batchSize``, and counts them in
/// ``HistoryTrimStatistics``. A store failure fails the attempt (the next fire trims again).
public enum HistoryTrimJob {
    /// The job's arguments (none: the retention is the node's configuration).
    public struct Arguments: Codable, Sendable, Hashable {
        /// Creates arguments.
        public init() {}
    }

    /// The job kind.
    public static let kind = JobKind<Arguments>("chat.history_trim")

    /// The cron schedule: every 5 minutes (3 attempts; a later fire trims anyway).
    public static func schedule() throws -> CronSchedule {
        CronSchedule(name: "chat.history_trim", expression: try CronExpression(parsing: "*/5 * * * *"),
                     job: try kind.job(Arguments(), maxAttempts: 3))
    }

    /// Registers the worker: one ``trim(_:retention:statistics:)`` pass per job.
    public static func register(in workers: inout JobWorkers, store: any MessageStore, retention: HistoryRetention,
                                statistics: HistoryTrimStatistics) {
        workers.register(kind) { _, _ in
            _ = try await trim(store, retention: retention, statistics: statistics)
        }
    }

    /// Trims every room of `store` to `retention` now and returns how many messages were
    /// deleted (each batch is also counted in `statistics` as soon as it is committed).
    /// - Throws: ``StoreError`` from the store; the batches committed before it stay deleted.
    public static func trim(_ store: any MessageStore, retention: HistoryRetention,
                            statistics: HistoryTrimStatistics? = nil) async throws(StoreError) -> Int {
        let keep = max(1, retention.keepPerRoom)
        let batch = max(1, retention.batchSize)
        let cutoff = retention.maxAge.map { store.clock.date().addingTimeInterval(-Self.seconds($0)) }
        var total = 0
        for room in try await store.rooms() {
            while true {
                let trimmed = try await store.trimHistory(room: room, keepNewest: keep, insertedBefore: cutoff, limit: batch)
                total += trimmed
                statistics?.recordTrimmed(trimmed)
                if trimmed < batch { break }
            }
        }
        return total
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
