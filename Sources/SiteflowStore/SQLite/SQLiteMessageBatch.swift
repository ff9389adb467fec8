import Foundation
import GRDB

/// Inserts the chat messages of one SQLite transaction with multi-row INSERTs.
///
/// Ids are assigned here, not by SQLite: the transaction holds SQLite's single write lock, so the
/// next id is one more than the largest id the table has ever had (AUTOINCREMENT's rule, read once
/// per batch), and each message gets the next one in order. A chunk whose statement inserted
/// every row needs no read back. Only when a chunk inserted fewer rows than it had (an
/// idempotency key its sender already stored in the room, or repeated inside the batch) are its
/// keyed messages looked up: a message whose stored id is the one it was given was inserted; any
/// other is a retry and is answered with the message its sender stored the first time. Skipped ids leave gaps, which ids may
/// have (as on PostgreSQL); ids still grow with insertion order.
enum SQLiteMessageBatch {
    /// Rows per statement, largest first; a batch is split greedily, so any count takes at most
    /// one statement per size beyond the full chunks, and the statement cache stays small.
    static let chunkSizes = [64, 32, 16, 8, 4, 2, 1]

    private static let columnsPerRow = 6

    /// The INSERT for each entry of ``chunkSizes``.
    private static let insertSQL: [Int: String] = Dictionary(
        uniqueKeysWithValues: chunkSizes.map { size in
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?)", count: size).joined(separator: ", ")
            return (
                size,
                "INSERT INTO siteflow_messages (id, room, nickname, body, inserted_at, idempotency_key) VALUES \(rows) "
                    + "ON CONFLICT (room, nickname, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
            )
        })

    private static let nextIDSQL = """
        SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'siteflow_messages'), 0), \
        coalesce((SELECT max(id) FROM siteflow_messages), 0)) + 1
        """

    static let storedSQL =
        "SELECT id, room, nickname, body, inserted_at, idempotency_key FROM siteflow_messages WHERE room = ? AND nickname = ? AND idempotency_key = ?"

    /// Inserts `messages` (already validated) stamped `now`, and returns them as stored, in order
    /// (for a retried idempotency key: the message stored the first time). Must run inside a
    /// write transaction.
    static func insert(_ messages: [NewMessage], now: Int64, db: Database) throws -> [ChatMessage] {
        guard !messages.isEmpty else { return [] }
        guard let firstID = try Int64.fetchOne(db.cachedStatement(sql: nextIDSQL)) else {
            throw StoreError(.queryFailed, "SQLite returned no next message id")
        }
        let insertedAt = Date(storeMicros: now)
        let nowValue = now.databaseValue
        var stored: [ChatMessage] = []
        stored.reserveCapacity(messages.count)
        var start = 0
        while start < messages.count {
            let remaining = messages.count - start
            let size = chunkSizes.first { $0 <= remaining } ?? 1
            guard let sql = insertSQL[size] else { throw StoreError(.queryFailed, "no INSERT for \(size) rows") }
            let statement = try db.cachedStatement(sql: sql)
            var values: [DatabaseValue] = []
            values.reserveCapacity(size * columnsPerRow)
            for offset in 0..<size {
                let message = messages[start + offset]
                values.append((firstID + Int64(start + offset)).databaseValue)
                values.append(message.room.databaseValue)
                values.append(message.nickname.databaseValue)
                values.append(message.body.databaseValue)
                values.append(nowValue)
                values.append(message.idempotencyKey.databaseValue)
            }
            statement.setUncheckedArguments(StatementArguments(values))
            try statement.execute()
            let allInserted = db.changesCount == size
            for offset in 0..<size {
                let message = messages[start + offset]
                let id = firstID + Int64(start + offset)
                if !allInserted, let key = message.idempotencyKey {
                    stored.append(try storedMessage(room: message.room, sender: message.nickname, key: key, db: db))
                } else {
                    stored.append(
                        ChatMessage(
                            id: id, room: message.room, nickname: message.nickname, body: message.body,
                            insertedAt: insertedAt, idempotencyKey: message.idempotencyKey))
                }
            }
            start += size
        }
        return stored
    }

    /// The message `sender` stored under `room` and `key` (the one just inserted, or the first one).
    private static func storedMessage(room: String, sender: String, key: String, db: Database) throws -> ChatMessage {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: storedSQL), arguments: [room, sender, key]) else {
            throw StoreError(.queryFailed, "a message conflicted on its idempotency key but was not found")
        }
        return ChatMessage(
            id: row[0], room: row[1], nickname: row[2], body: row[3], insertedAt: Date(storeMicros: row[4]),
            idempotencyKey: row[5])
    }
}
