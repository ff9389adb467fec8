import SiteflowStore
import Testing

@Suite("RetryBackoff")
struct RetryBackoffTests {
    @Test("the delay doubles with each attempt up to the maximum")
    func exponential() {
        let backoff = RetryBackoff(base: .seconds(2), maximum: .seconds(60), jitter: 0.2)
        #expect(backoff.delay(afterAttempt: 1, random: 0.5) == .seconds(2))
        #expect(backoff.delay(afterAttempt: 2, random: 0.5) == .seconds(4))
        #expect(backoff.delay(afterAttempt: 4, random: 0.5) == .seconds(16))
        #expect(backoff.delay(afterAttempt: 10, random: 0.5) == .seconds(60))
        #expect(backoff.delay(afterAttempt: 10_000, random: 0.5) == .seconds(60))
    }

    @Test("jitter spreads the delay by at most the jitter fraction")
    func jitter() {
        let backoff = RetryBackoff(base: .seconds(10), maximum: .seconds(3600), jitter: 0.2)
        #expect(backoff.delay(afterAttempt: 1, random: 0) == .seconds(8))
        #expect(backoff.delay(afterAttempt: 1, random: 0.999_999_999) > .milliseconds(11_999))
        #expect(backoff.delay(afterAttempt: 1, random: 0.999_999_999) <= .seconds(12))
    }
}
