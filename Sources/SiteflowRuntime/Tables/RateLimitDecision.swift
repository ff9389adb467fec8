/// The outcome of `RateLimiter.tryAcquire(_:tokens:)`.
public enum RateLimitDecision: Sendable, Hashable {
    /// The tokens were taken; `remaining` whole tokens are left in the bucket.
    case allowed(remaining: Int)
    /// Not enough tokens; nothing was taken. Retrying after `retryAfterNanoseconds` (absent other
    /// acquisitions on the key) will succeed.
    case denied(retryAfterNanoseconds: UInt64)

    /// Whether the acquisition succeeded.
    public var isAllowed: Bool {
        if case .allowed = self { true } else { false }
    }

    /// For a denial, the wait before a retry can succeed; `nil` when allowed.
    public var retryAfter: Duration? {
        guard case let .denied(nanoseconds) = self else { return nil }
        return .nanoseconds(Int64(clamping: nanoseconds))
    }
}
