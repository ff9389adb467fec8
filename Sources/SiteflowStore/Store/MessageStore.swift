public import Foundation

/// The chat's persistence: messages (with their idempotency keys), rooms, history pages and
/// nickname claims. ``MessageWriter`` and the chat take only this.
///
/// Both implementations (``SQLiteStore``, ``PostgresStore``) pass the same behavioural suite.
public protocol MessageStore: TransactionStore {
    /// The names of the rooms that exist, sorted.
    func rooms() async throws(StoreError) -> [String]

    /// The latest `limit` messages of `room` older than `before` (all if nil), oldest first.
    func history(room: String, limit: Int, before: MessageCursor?) async throws(StoreError) -> HistoryPage

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
