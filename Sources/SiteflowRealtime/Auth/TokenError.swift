/// Why a signed token was not accepted.
public struct TokenError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalid, expired
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Malformed, signed with another secret or salt, or tampered with.
        public static var invalid: Code { Code(.invalid) }
        /// Correctly signed but older than the `maxAge` it was checked against.
        public static var expired: Code { Code(.expired) }

        /// `invalid` or `expired`.
        public var description: String { base.rawValue }
    }

    /// What was wrong.
    public let code: Code

    /// Creates an error.
    public init(_ code: Code) { self.code = code }

    /// `invalid` or `expired` (Phoenix.Token's atoms).
    public var description: String { code.description }
}
