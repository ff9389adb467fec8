/// An error from starting or running a ``SiteflowHTTPServer``.
public struct ServerError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case alreadyStarted
    }

    private let code: Code

    /// ``SiteflowHTTPServer/start()`` was called on a server that had already started (or
    /// stopped: a server runs once).
    public static let alreadyStarted = ServerError(code: .alreadyStarted)

    /// A sentence saying what went wrong.
    public var description: String {
        switch code {
        case .alreadyStarted: "the server was already started (a server runs once)"
        }
    }
}
