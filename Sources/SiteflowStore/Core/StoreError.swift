/// Why a store operation failed. A struct with a code (not a public enum), so new codes can be
/// added without breaking callers; compare with the static members, e.g. `error.code == .unavailable`.
///
/// A store operation either succeeds or throws one of these: it never crashes the process and
/// never loses an acknowledged write.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case unavailable, openFailed, migrationFailed, invalidMessage, messageTooLarge
            case invalidJob, unknownJobKind, closed, queryFailed, notFound, invalidArgument
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The database cannot be reached now (server down, connection lost, timeout). Retry
        /// later: the store reconnects by itself.
        public static var unavailable: Code { Code(.unavailable) }
        /// The database could not be opened (unwritable path, corrupt file, bad URL target).
        public static var openFailed: Code { Code(.openFailed) }
        /// A schema migration failed at start-up.
        public static var migrationFailed: Code { Code(.migrationFailed) }
        /// A message was refused before reaching the store (empty body, bad room or nickname…).
        public static var invalidMessage: Code { Code(.invalidMessage) }
        /// A message body is longer than the configured limit.
        public static var messageTooLarge: Code { Code(.messageTooLarge) }
        /// A job could not be enqueued (arguments not encodable, bad queue name, bad attempts).
        public static var invalidJob: Code { Code(.invalidJob) }
        /// A job names a kind no worker is registered for.
        public static var unknownJobKind: Code { Code(.unknownJobKind) }
        /// The store or the writer was closed.
        public static var closed: Code { Code(.closed) }
        /// The database refused a statement (constraint, syntax, …).
        public static var queryFailed: Code { Code(.queryFailed) }
        /// An argument is out of range (e.g. a history page size of 0).
        public static var invalidArgument: Code { Code(.invalidArgument) }
        /// The requested row does not exist.
        public static var notFound: Code { Code(.notFound) }

        public var description: String { "\(value)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A human-readable explanation (never contains message bodies or job arguments).
    public let reason: String
    /// The underlying error from the database driver, if any.
    public let underlying: (any Error)?

    /// Creates an error with a code, an explanation and optionally the driver's error.
    public init(_ code: Code, _ reason: String, underlying: (any Error)? = nil) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "StoreError.\(code): \(reason) (\(underlying))" }
        return "StoreError.\(code): \(reason)"
    }
}
