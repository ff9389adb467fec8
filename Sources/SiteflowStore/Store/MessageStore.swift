public import Foundation

/// The chat's persistence: messages (with their idempotency keys), rooms, history pages and
/// nickname claims. ``MessageWriter`` and the chat take only this.
///
/// Both implementations (``SQLiteStore``, ``PostgresStore``) pass the same behavioural suite.
public protocol MessageStore: TransactionStore {
    /// The names of the rooms that exist, sorted.
    func rooms() async throws(StoreError) -> [String]

    /// A page of at most `limit` messages of `room`, oldest first: with no cursor the latest ones;
    /// with an ``MessageCursor/Direction/older`` cursor the latest ones older than it (and
    /// ``HistoryPage/olderCursor`` if there are more); with a ``MessageCursor/Direction/newer``
    /// cursor the earliest ones newer than it (and ``HistoryPage/newerCursor`` if there are more).
    /// Both read through the `(room, id)` index.
    /// - Throws: ``StoreError`` `invalidArgument` if `limit` is not 1…1000.
    func history(room: String, limit: Int, from cursor: MessageCursor?) async throws(StoreError) -> HistoryPage

    /// Every held nickname's claim (ADR 0013), in no order.
    func nicknameClaims() async throws(StoreError) -> [NicknameClaimRecord]

    /// Records that `claim.claimID` holds `claim.key` (replacing any earlier claim of the key).
    func saveNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError)

    /// Forgets `claim` if the key is still held by that claim id (a newer claim stays).
    func deleteNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError)

    /// Deletes up to `limit` of `room`'s oldest messages among those that are not its newest
    /// `keepNewest` or were inserted before `insertedBefore` (if given), in one short
    /// transaction; returns how many. Kept messages (ids, history pages, idempotency keys) are
    /// untouched; a deleted message's idempotency key no longer answers a retry.
    /// - Throws: ``StoreError`` `invalidArgument` if `keepNewest` < 0 or `limit` < 1.
    func trimHistory(room: String, keepNewest: Int, insertedBefore: Date?, limit: Int) async throws(StoreError) -> Int
}

extension MessageStore {
    /// The latest `limit` messages of `room` older than `before` (the latest if nil), oldest first.
    public func history(room: String, limit: Int, before: MessageCursor?) async throws(StoreError) -> HistoryPage {
        try await history(room: room, limit: limit, from: before)
    }

    /// The earliest `limit` messages of `room` newer than the message `afterID`, oldest first;
    /// ``HistoryPage/newerCursor`` says whether there are more.
    public func history(room: String, limit: Int, after afterID: Int64) async throws(StoreError) -> HistoryPage {
        try await history(room: room, limit: limit, from: MessageCursor(afterID: afterID))
    }

    /// Inserts one message in its own transaction (no group commit; see ``MessageWriter``).
    public func insertMessage(_ message: NewMessage) async throws(StoreError) -> ChatMessage {
        var transaction = StoreTransaction(limits: limits)
        transaction.insertMessage(message)
        let result = try await commit(transaction)
        guard let stored = result.messages.first else { throw StoreError(.queryFailed, "insert returned no message") }
        return stored
    }

    /// Creates a room if it does not exist.
    public func createRoom(_ name: String) async throws(StoreError) {
        var transaction = StoreTransaction(limits: limits)
        transaction.createRoom(name)
        _ = try await commit(transaction)
    }
}
