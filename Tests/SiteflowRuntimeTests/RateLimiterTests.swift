import Testing
@testable import SiteflowRuntime
import SiteflowRuntimeTesting

@Suite struct RateLimiterTests {
    @Test func burstUpToCapacityThenDeny() throws {
        let clock = ManualClock()
        let limiter = RateLimiter<String>(capacity: 3, refillPerSecond: 1, clock: clock)
        #expect(try limiter.tryAcquire("k") == .allowed(remaining: 2))
        #expect(try limiter.tryAcquire("k") == .allowed(remaining: 1))
        #expect(try limiter.tryAcquire("k") == .allowed(remaining: 0))
        let denied = try limiter.tryAcquire("k")
        #expect(denied == .denied(retryAfterNanoseconds: 1_000_000_000))
        #expect(!denied.isAllowed)
        #expect(denied.retryAfter == .seconds(1))
    }

    @Test func keysHaveIndependentBuckets() throws {
        let limiter = RateLimiter<String>(capacity: 1, refillPerSecond: 1, clock: ManualClock())
        #expect(try limiter.tryAcquire("a").isAllowed)
        #expect(try !limiter.tryAcquire("a").isAllowed)
        #expect(try limiter.tryAcquire("b").isAllowed)
    }

    @Test func refillsOverTimeAndCapsAtCapacity() throws {
        let clock = ManualClock()
        let limiter = RateLimiter<String>(capacity: 4, refillPerSecond: 2, clock: clock)
        #expect(try limiter.tryAcquire("k", tokens: 4) == .allowed(remaining: 0))
        clock.advance(by: .milliseconds(500))  // +1 token
        #expect(try limiter.availableTokens("k") == 1)
        #expect(try limiter.tryAcquire("k") == .allowed(remaining: 0))
        clock.advance(by: .seconds(60))  // far more than needed: capped at 4
        #expect(try limiter.availableTokens("k") == 4)
        #expect(try limiter.tryAcquire("k", tokens: 4) == .allowed(remaining: 0))
    }

    @Test func retryAfterIsExactlyEnough() throws {
        let clock = ManualClock()
        let limiter = RateLimiter<String>(capacity: 10, refillPerSecond: 3, clock: clock)
        #expect(try limiter.tryAcquire("k", tokens: 10).isAllowed)
        clock.advance(by: .milliseconds(100))  // 0.3 tokens accrued
        let decision = try limiter.tryAcquire("k", tokens: 2)
        guard case let .denied(wait) = decision else {
            Issue.record("expected denial, got \(decision)")
            return
        }
        // 1.7 tokens at 3/s ≈ 566.67 ms.
        #expect(wait > 566_000_000 && wait < 567_000_000)
        clock.advance(by: .nanoseconds(wait - 1))
        #expect(try !limiter.tryAcquire("k", tokens: 2).isAllowed)
        clock.advance(by: .nanoseconds(1))
        #expect(try limiter.tryAcquire("k", tokens: 2).isAllowed)
    }

    @Test func deniedAcquisitionTakesNothing() throws {
        let clock = ManualClock()
        let limiter = RateLimiter<String>(capacity: 5, refillPerSecond: 1, clock: clock)
        #expect(try limiter.tryAcquire("k", tokens: 3).isAllowed)
        #expect(try limiter.tryAcquire("k", tokens: 3) == .denied(retryAfterNanoseconds: 1_000_000_000))
        #expect(try limiter.tryAcquire("k", tokens: 2) == .allowed(remaining: 0))
    }

    @Test func resetRefillsTheBucket() throws {
        let limiter = RateLimiter<String>(capacity: 2, refillPerSecond: 0.001, clock: ManualClock())
        #expect(try limiter.tryAcquire("k", tokens: 2).isAllowed)
        #expect(try !limiter.tryAcquire("k").isAllowed)
        try limiter.reset("k")
        #expect(try limiter.tryAcquire("k") == .allowed(remaining: 1))
    }

    @Test func invalidTokenCountsThrow() {
        let limiter = RateLimiter<String>(capacity: 2, refillPerSecond: 1, clock: ManualClock())
        #expect(throws: TableError.invalidArgument) { try limiter.tryAcquire("k", tokens: 0) }
        #expect(throws: TableError.invalidArgument) { try limiter.tryAcquire("k", tokens: 3) }
    }

    @Test func purgeIdleDropsOnlyFullBuckets() throws {
        let clock = ManualClock()
        let limiter = RateLimiter<String>(capacity: 2, refillPerSecond: 1, clock: clock)
        _ = try limiter.tryAcquire("a", tokens: 2)
        _ = try limiter.tryAcquire("b", tokens: 1)
        clock.advance(by: .seconds(1))  // "b" is full again, "a" has 1 token
        #expect(try limiter.trackedKeyCount == 2)
        #expect(try limiter.purgeIdle() == 1)
        #expect(try limiter.trackedKeyCount == 1)
        #expect(try limiter.availableTokens("a") == 1)
    }

    @Test func concurrentAcquisitionsNeverOverspend() async throws {
        let limiter = RateLimiter<String>(capacity: 1_000, refillPerSecond: 1, clock: ManualClock())
        let granted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var granted = 0
                    for _ in 0..<500 where try limiter.tryAcquire("k").isAllowed { granted += 1 }
                    return granted
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(granted == 1_000)
    }

    @Test func closedLimiterThrows() {
        let limiter = RateLimiter<String>(capacity: 2, refillPerSecond: 1, clock: ManualClock())
        limiter.close()
        #expect(limiter.isClosed)
        #expect(throws: TableError.closed) { try limiter.tryAcquire("k") }
        #expect(throws: TableError.closed) { try limiter.reset("k") }
        #expect(throws: TableError.closed) { try limiter.availableTokens("k") }
    }
}
