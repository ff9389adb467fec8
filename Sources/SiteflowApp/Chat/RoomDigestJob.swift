import Foundation
public import SiteflowRealtime
public import SiteflowStore

/// The chat's daily job: for every room with messages in the last 24 hours, posts a digest
/// ("Last 24 hours: 42 messages from 5 people") as a message from `siteflow`, persisted and
/// broadcast like any other. Scheduled by cron at midnight (UTC), unique per day so that nodes
/// sharing a database post it once.
public enum RoomDigestJob {
    /// The job's arguments: the end of the period it covers.
    public struct Arguments: Codable, Sendable, Hashable {
        /// The end of the 24-hour window, seconds since 1970 (nil: when the job runs).
        public var until: Double?
        /// Creates arguments.
        public init(until: Double? = nil) { self.until = until }
    }

    /// The job kind.
    public static let kind = JobKind<Arguments>("chat.room_digest")
    /// The nickname digests are posted under.
    public static let author = "siteflow"
    /// How many messages of a room the digest reads at most.
    static let scanLimit = 10_000

    /// The cron schedule: every day at 00:00.
    public static func schedule() throws -> CronSchedule {
        CronSchedule(name: "chat.daily_digest", expression: try CronExpression(parsing: "0 0 * * *"), job: try kind.job(Arguments()))
    }

    /// Registers the worker: it reads each room's recent history, and posts and broadcasts a
    /// digest where there was activity. A store failure fails the attempt (it is retried).
    public static func register(in workers: inout JobWorkers, services: ChatServices, pubsub: PubSub) {
        workers.register(kind) { arguments, _ in
            let until = arguments.until.map { Date(timeIntervalSince1970: $0) } ?? services.store.clock.date()
            let since = until.addingTimeInterval(-86_400)
            for room in try await services.store.rooms() {
                let page = try await services.store.history(room: room, limit: scanLimit, before: nil)
                let recent = page.messages.filter { $0.insertedAt > since && $0.insertedAt <= until && $0.nickname != author }
                guard !recent.isEmpty else { continue }
                let people = Set(recent.map(\.nickname)).count
                let body = "Last 24 hours: \(recent.count) message\(recent.count == 1 ? "" : "s") from \(people) \(people == 1 ? "person" : "people")."
                let key = "digest:\(room):\(Int(until.timeIntervalSince1970 / 86_400))"
                let stored = try await services.writer.write(NewMessage(room: room, nickname: author, body: body, idempotencyKey: key))
                services.recent.append(stored)
                pubsub.broadcast(topic: ChatNames.topicPrefix + room, event: "new_msg", payload: .json(stored.json))
            }
        }
    }
}
