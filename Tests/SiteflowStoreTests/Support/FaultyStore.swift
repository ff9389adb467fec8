import Foundation
import SiteflowRuntime
import SiteflowStore
import Synchronization

/// A store that forwards to a real one, but can hold its first commit until a gate opens and can
/// fail commits on demand: for specifying what the message writer does when a commit fails.
final class FaultyStore: Store {
    private let base: any Store
    private let state = Mutex<(commits: Int, failing: Bool, batches: [(messages: Int, failed: Bool)])>((0, false, []))
    /// The first commit waits for this gate before it runs.
    let firstCommitGate = Gate()
    /// Records the number of each commit as it starts.
    let commitsStarted = Recorder<Int>()

    init(base: any Store) {
        self.base = base
    }

    /// Makes the commits that start from now on fail with `unavailable` (or succeed again).
    func failCommits(_ failing: Bool) {
        state.withLock { $0.failing = failing }
    }

    /// Each commit so far: how many messages it held and whether it failed.
    var batches: [(messages: Int, failed: Bool)] { state.withLock { $0.batches } }

    var clock: any RuntimeClock { base.clock }
    var limits: MessageLimits { base.limits }

    func commit(_ transaction: StoreTransaction) async throws(StoreError) -> TransactionResult {
        let (number, failing) = state.withLock { state in
            state.commits += 1
            return (state.commits, state.failing)
        }
        commitsStarted.record(number)
        if number == 1 { await firstCommitGate.wait() }
        do throws(StoreError) {
            if failing { throw StoreError(.unavailable, "injected commit failure") }
            let result = try await base.commit(transaction)
            state.withLock { $0.batches.append((result.messages.count, false)) }
            return result
        } catch {
            state.withLock { $0.batches.append((transaction.messageCount, true)) }
            throw error
        }
    }

    func rooms() async throws(StoreError) -> [String] { try await base.rooms() }

    func history(room: String, limit: Int, before: MessageCursor?) async throws(StoreError) -> HistoryPage {
        try await base.history(room: room, limit: limit, before: before)
    }

    func claimJobs(queue: String, limit: Int, node: String, now: Date, leaseUntil: Date) async throws(StoreError) -> [JobRecord] {
        try await base.claimJobs(queue: queue, limit: limit, node: node, now: now, leaseUntil: leaseUntil)
    }

    func extendLeases(_ leases: [JobLease], until: Date) async throws(StoreError) -> Int {
        try await base.extendLeases(leases, until: until)
    }

    func completeJob(_ lease: JobLease, at: Date) async throws(StoreError) -> Bool { try await base.completeJob(lease, at: at) }

    func completeJobs(_ leases: [JobLease], at: Date) async throws(StoreError) -> Int { try await base.completeJobs(leases, at: at) }

    func failJob(_ lease: JobLease, error: String, at: Date, retryAt: Date?) async throws(StoreError) -> Bool {
        try await base.failJob(lease, error: error, at: at, retryAt: retryAt)
    }

    func job(id: Int64) async throws(StoreError) -> JobRecord? { try await base.job(id: id) }

    func jobs(queue: String?) async throws(StoreError) -> [JobRecord] { try await base.jobs(queue: queue) }

    func pruneJobs(finishedBefore cutoff: Date) async throws(StoreError) -> Int { try await base.pruneJobs(finishedBefore: cutoff) }

    func nicknameClaims() async throws(StoreError) -> [NicknameClaimRecord] { try await base.nicknameClaims() }

    func saveNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) { try await base.saveNicknameClaim(claim) }

    func deleteNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) { try await base.deleteNicknameClaim(claim) }

    func close() async { await base.close() }
}
