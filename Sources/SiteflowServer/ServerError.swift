/// An error from starting or running a ``SiteflowHTTPServer``.
public struct ServerError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case alreadyStarted
        case invalidConfiguration
    }

    private let code: Code
    private let detail: String

    /// ``SiteflowHTTPServer/start()`` was called on a server that had already started (or
    /// stopped: a server runs once).
    public static let alreadyStarted = ServerError(code: .alreadyStarted, detail: "")

    /// A ``ServerConfiguration`` value is out of range; `reason` names it.
    public static func invalidConfiguration(_ reason: String) -> ServerError {
        ServerError(code: .invalidConfiguration, detail: reason)
    }

    /// Whether this is an invalid-configuration error (whatever its reason).
    public var isInvalidConfiguration: Bool { code == .invalidConfiguration }

    /// A sentence saying what went wrong.
    public var description: String {
        switch code {
        case .alreadyStarted: "the server was already started (a server runs once)"
        case .invalidConfiguration: "invalid server configuration: \(detail)"
        }
    }
}
