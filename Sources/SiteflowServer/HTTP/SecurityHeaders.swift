import NIOHTTP1

/// The headers every HTTP response carries so a browser does not sniff types, frame the pages,
/// leak URLs to other sites or run scripts the node did not serve.
enum SecurityHeaders {
    /// The default content security policy: the chat page and its assets come from the node
    /// itself (no CDN), scripts and styles only from files, sockets only to the same origin.
    /// A route may send its own `content-security-policy` (the dashboard's inline page does).
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// The headers as name–value pairs, for responses written as raw bytes.
    static let all: [(name: String, value: String)] = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("content-security-policy", contentSecurityPolicy),
    ]

    /// Adds every security header `headers` does not already carry.
    static func apply(to headers: inout HTTPHeaders) {
        for (name, value) in all where !headers.contains(name: name) {
            headers.add(name: name, value: value)
        }
    }
}
