/// Which browser `Origin`s may open a socket, like Phoenix's `check_origin`.
///
/// Allowed origins are exact (`https://example.com`, `https://example.com:8443`) or host
/// patterns: `*.example.com` allows `example.com` and every subdomain, over any scheme and port;
/// `https://*.example.com` only over `https`. ``sameOrigin`` (the default of sockets and of
/// `siteflow serve`) also allows the origin the request was addressed to: the `Origin` whose
/// host and port are the request's `Host` header — the node's own pages, however it is reached.
/// A request without an `Origin` header (not a browser) is allowed, as in Phoenix. A refused
/// origin is answered with HTTP 403.
public struct OriginPolicy: Sendable, Hashable {
    private enum Rule: Sendable, Hashable {
        case exact(scheme: String, host: String, port: Int?)
        case wildcard(scheme: String?, domain: String)
    }

    private let rules: [Rule]?
    private var allowsRequestHost = false

    /// Any origin may connect (what Phoenix calls `check_origin: false`).
    public static let any = OriginPolicy(rules: nil)

    /// Only the origin the request was addressed to (its `Host`), like Phoenix's default check.
    public static let sameOrigin = OriginPolicy.sameOrigin(plus: [])

    /// The origin the request was addressed to, and these (see the type's description).
    public static func sameOrigin(plus origins: [String]) -> OriginPolicy {
        var policy = OriginPolicy(allowing: origins)
        policy.allowsRequestHost = true
        return policy
    }

    private init(rules: [Rule]?) { self.rules = rules }

    /// Only these origins (see the type's description for the forms).
    public init(allowing origins: [String]) {
        var rules: [Rule] = []
        for entry in origins {
            let text = entry.lowercased()
            let (scheme, rest) = Self.splitScheme(text)
            if rest.hasPrefix("*.") {
                rules.append(.wildcard(scheme: scheme, domain: String(rest.dropFirst(2))))
            } else if let hostPort = Self.splitPort(rest) {
                if let scheme {
                    rules.append(.exact(scheme: scheme, host: hostPort.0, port: hostPort.1 ?? Self.defaultPort(scheme)))
                } else {
                    // `example.com` or `//example.com:8080`: that host over any scheme.
                    rules.append(.exact(scheme: "*", host: hostPort.0, port: hostPort.1))
                }
            }
        }
        self.rules = rules
    }

    /// Whether a request with this `Origin` header value (`nil`: no header), addressed to
    /// `requestHost` (its `Host` header, e.g. `chat.example.com:8443`), may connect.
    public func allows(_ origin: String?, requestHost: String? = nil) -> Bool {
        guard let rules else { return true }
        guard let origin else { return true }
        let text = origin.lowercased()
        let (schemeOrNil, rest) = Self.splitScheme(text)
        guard let scheme = schemeOrNil, let hostPort = Self.splitPort(rest), !hostPort.0.isEmpty else { return false }
        let host = hostPort.0
        let port = hostPort.1 ?? Self.defaultPort(scheme)
        if allowsRequestHost, let requestHost, let addressed = Self.splitPort(Substring(requestHost.lowercased())),
            addressed.0 == host, (addressed.1 ?? Self.defaultPort(scheme)) == port {
            return true
        }
        for rule in rules {
            switch rule {
            case .exact(let ruleScheme, let ruleHost, let rulePort):
                if (ruleScheme == "*" || ruleScheme == scheme) && ruleHost == host && (rulePort == nil || rulePort == port) {
                    return true
                }
            case .wildcard(let ruleScheme, let domain):
                if ruleScheme == nil || ruleScheme == scheme, host == domain || host.hasSuffix("." + domain) {
                    return true
                }
            }
        }
        return false
    }

    private static func splitScheme(_ text: String) -> (String?, Substring) {
        if let range = text.firstRange(of: "://") {
            return (String(text[..<range.lowerBound]), text[range.upperBound...])
        }
        if text.hasPrefix("//") { return (nil, text.dropFirst(2)) }
        return (nil, Substring(text))
    }

    private static func splitPort(_ text: Substring) -> (String, Int?)? {
        let hostPort = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if let colon = hostPort.lastIndex(of: ":") {
            guard let port = Int(hostPort[hostPort.index(after: colon)...]) else { return nil }
            return (String(hostPort[..<colon]), port)
        }
        return (String(hostPort), nil)
    }

    private static func defaultPort(_ scheme: String) -> Int? {
        switch scheme {
        case "http", "ws": return 80
        case "https", "wss": return 443
        default: return nil
        }
    }
}
