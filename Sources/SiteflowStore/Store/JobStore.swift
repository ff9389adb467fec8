public import Foundation

/// The durable jobs' persistence: enqueued jobs, their leases and attempts, and the cron
/// fire times (enqueued as unique jobs). ``JobEngine`` takes only this.
///
/// Both implementations (``SQLiteStore``, ``PostgresStore``) pass the same behavioural suite.
public protocol JobStore: TransactionStore {
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
}

extension JobStore {
    /// Enqueues one job in its own transaction.
    public func enqueue(_ job: NewJob) async throws(StoreError) -> JobInsertion {
        var transaction = StoreTransaction(limits: limits)
        transaction.enqueue(job)
        let result = try await commit(transaction)
        guard let insertion = result.jobs.first else { throw StoreError(.queryFailed, "enqueue returned no job") }
        return insertion
    }
}
