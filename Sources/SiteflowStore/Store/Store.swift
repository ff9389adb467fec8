public import Foundation
public import SiteflowRuntime

/// Siteflow's persistence: chat history and durable jobs, on SQLite or PostgreSQL.
///
/// Both implementations (``SQLiteStore``, ``PostgresStore``) pass the same behavioural test
/// suite. Every operation either succeeds or throws a ``StoreError``; when the database is down
/// operations throw ``StoreError/Code/unavailable`` and the store recovers by itself once it is
/// back. Open one with ``StoreFactory/open(_:configuration:)``.
public protocol Store: Sendable {
    /// The time source for timestamps, job schedules and leases.
    var clock: any RuntimeClock { get }
    /// The limits applied to every message.
    var limits: MessageLimits { get }

    /// Commits `transaction`'s writes atomically and returns what was stored.
    /// - Throws: ``StoreError`` (`invalidMessage`/`messageTooLarge`/`invalidJob` before touching
    ///   the database, `unavailable`, `queryFailed`, `closed`); nothing is stored on error.
    func commit(_ transaction: StoreTransaction) async throws(StoreError) -> TransactionResult

    /// The names of the rooms that exist, sorted.
    func rooms() async throws(StoreError) -> [String]

    /// The latest `limit` messages of `room` older than `before` (all if nil), oldest first.
    func history(room: String, limit: Int, before: MessageCursor?) async throws(StoreError) -> HistoryPage

    /// Claims up to `limit` due jobs of `queue` for `node`: available jobs whose `runAt` has
    /// come, and executing jobs whose lease expired (their node died). Each claimed job's attempt
    /// count goes up by one and it is leased to `node` until `leaseUntil`. Expired jobs with no
    /// attempts left are discarded instead. Two nodes never claim the same attempt.
    func claimJobs(queue: String, limit: Int, node: String, now: Date, leaseUntil: Date) async throws(StoreError) -> [JobRecord]

    /// Extends the leases of jobs this node is still running; returns how many were extended.
    func extendLeases(_ leases: [JobLease], until: Date) async throws(StoreError) -> Int

    /// Marks the leased attempt completed. Returns false if the lease was lost (the job was
    /// claimed again elsewhere) and nothing changed.
    func completeJob(_ lease: JobLease, at: Date) async throws(StoreError) -> Bool

    /// Marks several leased attempts completed in one transaction; returns how many still held
    /// their lease (the others changed nothing).
    func completeJobs(_ leases: [JobLease], at: Date) async throws(StoreError) -> Int

    /// Records the attempt's error, then makes the job available again at `retryAt`, or discards
    /// it if `retryAt` is nil. Returns false if the lease was lost and nothing changed.
    func failJob(_ lease: JobLease, error: String, at: Date, retryAt: Date?) async throws(StoreError) -> Bool

    /// The job with this id and its attempt errors, or nil.
    func job(id: Int64) async throws(StoreError) -> JobRecord?

    /// The jobs in `queue` (all queues if nil), by id.
    func jobs(queue: String?) async throws(StoreError) -> [JobRecord]

    /// Deletes completed and discarded jobs that finished before `cutoff`; returns how many.
    func pruneJobs(finishedBefore cutoff: Date) async throws(StoreError) -> Int

    /// Every held nickname's claim (ADR 0013), in no order.
    func nicknameClaims() async throws(StoreError) -> [NicknameClaimRecord]

    /// Records that `claim.claimID` holds `claim.key` (replacing any earlier claim of the key).
    func saveNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError)

    /// Forgets `claim` if the key is still held by that claim id (a newer claim stays).
    func deleteNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError)

    /// Closes the store; later operations throw `closed`.
    func close() async
}

extension Store {
    /// Records writes with `body` and commits them in one transaction, e.g.
    /// `try await store.transaction { tx in tx.insertMessage(m); tx.enqueue(job) }`.
    @discardableResult
    public func transaction(_ body: (inout StoreTransaction) throws -> Void) async throws -> TransactionResult {
        var transaction = StoreTransaction(limits: limits)
        try body(&transaction)
        return try await commit(transaction)
    }

    /// Inserts one message in its own transaction (no group commit; see ``MessageWriter``).
    public func insertMessage(_ message: NewMessage) async throws(StoreError) -> ChatMessage {
        var transaction = StoreTransaction(limits: limits)
        transaction.insertMessage(message)
        let result = try await commit(transaction)
        guard let stored = result.messages.first else { throw StoreError(.queryFailed, "insert returned no message") }
        return stored
    }

    /// Enqueues one job in its own transaction.
    public func enqueue(_ job: NewJob) async throws(StoreError) -> JobInsertion {
        var transaction = StoreTransaction(limits: limits)
        transaction.enqueue(job)
        let result = try await commit(transaction)
        guard let insertion = result.jobs.first else { throw StoreError(.queryFailed, "enqueue returned no job") }
        return insertion
    }

    /// Creates a room if it does not exist.
    public func createRoom(_ name: String) async throws(StoreError) {
        var transaction = StoreTransaction(limits: limits)
        transaction.createRoom(name)
        _ = try await commit(transaction)
    }
}
