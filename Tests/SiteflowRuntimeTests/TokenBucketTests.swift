import Testing

@testable import SiteflowRuntime

@Suite("Token bucket")
struct TokenBucketTests {
    private let second: UInt64 = 1_000_000_000

    @Test("a new bucket is full, a burst takes it empty, and time refills it at the rate, never past capacity")
    func burstAndRefill() {
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 2)
        #expect(bucket.isFull(now: 0))
        let result1 = bucket.take(now: 10)

        #expect(result1)
        let result2 = bucket.take(now: 10)
        #expect(result2)
        let result3 = bucket.take(now: 10)
        #expect(result3)
        let result4 = bucket.take(now: 10)
        #expect(!result4)
        #expect(bucket.available(now: 10 + second / 2) == 1)
        let result5 = bucket.take(now: 10 + second / 2)

        #expect(result5)
        let result6 = bucket.take(now: 10 + second / 2)
        #expect(!result6)
        #expect(bucket.available(now: 10 + 100 * second) == 3)
        #expect(bucket.isFull(now: 10 + 100 * second))
    }

    @Test("a denial says exactly how long until the tokens are there, and takes nothing")
    func exactWait() {
        var bucket = TokenBucket(capacity: 10, refillPerSecond: 3)
        let result7 = bucket.take(10, now: 0)

        #expect(result7 == .allowed(remaining: 0))
        guard case .denied(let wait) = bucket.take(2, now: second / 10) else {
            Issue.record("expected a denial")
            return
        }
        // 1.7 tokens short at 3/s ≈ 566.67 ms.
        #expect(wait > 566_000_000 && wait < 567_000_000)
        let result8 = bucket.take(2, now: second / 10 + wait - 1)

        #expect(!result8.isAllowed)
        let result9 = bucket.take(2, now: second / 10 + wait)
        #expect(result9.isAllowed)
    }

    @Test("out-of-range settings are clamped; without refill or beyond capacity the wait is forever; an earlier time earns nothing")
    func edges() {
        var empty = TokenBucket(capacity: 0, refillPerSecond: -5)
        #expect(empty.capacity == 1)
        #expect(empty.refillPerSecond == 0)
        let result10 = empty.take(now: 0)

        #expect(result10)
        let result11 = empty.take(1, now: 1_000 * second)
        #expect(result11 == .denied(retryAfterNanoseconds: .max))
        var bucket = TokenBucket(capacity: 2, refillPerSecond: 1)
        let result12 = bucket.take(3, now: 0)

        #expect(result12 == .denied(retryAfterNanoseconds: .max))
        let result13 = bucket.take(2, now: 5 * second)
        #expect(result13.isAllowed)
        let result14 = bucket.take(now: 4 * second)
        #expect(!result14, "a reading from the past refills nothing")
        #expect(TokenBucket(capacity: .max, refillPerSecond: .infinity).capacity == TokenBucket.maximumCapacity)
    }
}
