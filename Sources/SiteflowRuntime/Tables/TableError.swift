/// An error thrown by the shared tables (`SharedTable`, `OrderedSharedTable`, `TTLCache`, `RateLimiter`).
///
/// A struct wrapping a private code so that new cases can be added without breaking clients; compare with `==`.
public struct TableError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case closed
        case invalidArgument
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// The table was closed (deleted, e.g. because its owner process exited); no further operation can succeed.
    public static var closed: TableError { TableError(.closed) }

    /// An argument was outside its documented domain (e.g. acquiring more tokens than a rate limiter's capacity).
    public static var invalidArgument: TableError { TableError(.invalidArgument) }

    /// A short human-readable description of the error.
    public var description: String {
        switch code {
        case .closed: "TableError.closed: the table has been closed"
        case .invalidArgument: "TableError.invalidArgument: an argument was out of range"
        }
    }
}
