/// What reading the rooms' history after a recovery run found, compared with what the clients
/// were acknowledged: acknowledged messages missing from history, and keys stored under more
/// than one id (duplicates). A pure value, added up over rooms.
public struct HistoryAudit: Sendable, Codable, Equatable {
    /// Distinct acknowledged message ids.
    public var acknowledged = 0
    /// Acknowledged ids not found in history.
    public var missing = 0
    /// Up to ten of the missing ids, for a report.
    public var missingExamples: [Int] = []
    /// Keys of this run found under more than one id.
    public var duplicatedKeys = 0
    /// The extra stored copies (a key stored three times counts two).
    public var duplicates = 0
    /// Messages of this run read from history.
    public var messagesRead = 0
    /// Rooms whose history was read to the end of the run's messages.
    public var roomsRead = 0
    /// Rooms whose history could not be read (their acknowledged messages count as missing).
    public var roomsUnread: [String] = []

    /// An empty audit.
    public init() {}

    /// Audits one room: `acknowledged` ids against the `history` read (id and, for messages of
    /// this run, their key).
    public static func room(acknowledged: [Int], history: [(id: Int, key: String?)]) -> HistoryAudit {
        var audit = HistoryAudit()
        let acked = Set(acknowledged)
        let stored = Set(history.map(\.id))
        audit.acknowledged = acked.count
        let missing = acked.subtracting(stored).sorted()
        audit.missing = missing.count
        audit.missingExamples = Array(missing.prefix(10))
        var idsByKey: [String: Set<Int>] = [:]
        for entry in history {
            guard let key = entry.key else { continue }
            audit.messagesRead += 1
            idsByKey[key, default: []].insert(entry.id)
        }
        for ids in idsByKey.values where ids.count > 1 {
            audit.duplicatedKeys += 1
            audit.duplicates += ids.count - 1
        }
        audit.roomsRead = 1
        return audit
    }

    /// A room whose history could not be read: all its acknowledged messages count as missing.
    public static func unreadRoom(_ topic: String, acknowledged: [Int]) -> HistoryAudit {
        var audit = HistoryAudit()
        let acked = Set(acknowledged)
        audit.acknowledged = acked.count
        audit.missing = acked.count
        audit.missingExamples = Array(acked.sorted().prefix(10))
        audit.roomsUnread = [topic]
        return audit
    }

    /// Adds another room's audit to this one.
    public mutating func add(_ other: HistoryAudit) {
        acknowledged += other.acknowledged
        missing += other.missing
        missingExamples = Array((missingExamples + other.missingExamples).prefix(10))
        duplicatedKeys += other.duplicatedKeys
        duplicates += other.duplicates
        messagesRead += other.messagesRead
        roomsRead += other.roomsRead
        roomsUnread += other.roomsUnread
    }
}
