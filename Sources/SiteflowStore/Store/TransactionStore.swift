public import SiteflowRuntime

/// What the message store and the job store share: one time source, the message limits, and
/// atomic commits of a ``StoreTransaction`` (a message and the job it causes commit together).
///
/// Every operation either succeeds or throws a ``StoreError``; when the database is down
/// operations throw ``StoreError/Code/unavailable`` and the store recovers by itself once it is
/// back.
public protocol TransactionStore: Sendable {
    /// The time source for timestamps, job schedules and leases.
    var clock: any RuntimeClock { get }
    /// The limits applied to every message.
    var limits: MessageLimits { get }

    /// Commits `transaction`'s writes atomically and returns what was stored.
    /// - Throws: ``StoreError`` (`invalidMessage`/`messageTooLarge`/`invalidJob` before touching
    ///   the database, `unavailable`, `queryFailed`, `closed`); nothing is stored on error.
    func commit(_ transaction: StoreTransaction) async throws(StoreError) -> TransactionResult

    /// Closes the store; later operations throw `closed`.
    func close() async
}

extension TransactionStore {
    /// Records writes with `body` and commits them in one transaction, e.g.
    /// `try await store.transaction { tx in tx.insertMessage(m); tx.enqueue(job) }`.
    @discardableResult
    public func transaction(_ body: (inout StoreTransaction) throws -> Void) async throws -> TransactionResult {
        var transaction = StoreTransaction(limits: limits)
        try body(&transaction)
        return try await commit(transaction)
    }
}
