import Foundation
import SiteflowRuntime
import SiteflowStore
import Synchronization

/// A message store that forwards to a real one, but can hold its first commit until a gate opens and can
/// fail commits on demand: for specifying what the message writer does when a commit fails.
final class FaultyStore: MessageStore {
    private let base: any MessageStore
    private let state = Mutex<(commits: Int, failing: Bool, batches: [(messages: Int, failed: Bool)])>((0, false, []))
    /// The first commit waits for this gate before it runs.
    let firstCommitGate = Gate()
    /// Records the number of each commit as it starts.
    let commitsStarted = Recorder<Int>()

    init(base: any MessageStore) {
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

    func history(room: String, limit: Int, from cursor: MessageCursor?) async throws(StoreError) -> HistoryPage {
        try await base.history(room: room, limit: limit, from: cursor)
    }

    func nicknameClaims() async throws(StoreError) -> [NicknameClaimRecord] { try await base.nicknameClaims() }

    func saveNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) { try await base.saveNicknameClaim(claim) }

    func deleteNicknameClaim(_ claim: NicknameClaimRecord) async throws(StoreError) { try await base.deleteNicknameClaim(claim) }

    func trimHistory(room: String, keepNewest: Int, insertedBefore: Date?, limit: Int) async throws(StoreError) -> Int {
        try await base.trimHistory(room: room, keepNewest: keepNewest, insertedBefore: insertedBefore, limit: limit)
    }

    func close() async { await base.close() }
}
