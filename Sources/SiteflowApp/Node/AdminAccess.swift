import SiteflowRealtime
public import SiteflowServer

/// Who may see the node's operator surfaces (`/dashboard/`, `/dashboard/data`, `/metrics`): the
/// holder of the admin token, as Jupyter does it — a random token generated at start-up and
/// printed as a ready link, or one set by the operator (`SITEFLOW_ADMIN_TOKEN`).
///
/// A request is authorized by `Authorization: Bearer <token>` (Prometheus, scripts) or by the
/// `siteflow_admin` cookie that opening `/dashboard/?token=<token>` sets (HttpOnly,
/// SameSite=Strict, path `/dashboard`) before redirecting to the bare URL, so the token leaves
/// the address bar. Tokens are compared in constant time.
public struct AdminAccess: Sendable {
    /// The name of the cookie the dashboard login sets.
    public static let cookieName = "siteflow_admin"

    /// The admin token.
    public let token: String
    /// A second token that only reads `/metrics` (a scrape job's), if set.
    public let metricsToken: String?

    /// Access for `token` (at least 16 characters; a shorter one is refused with
    /// ``AdminAccessError``), and optionally a metrics-only token.
    public init(token: String, metricsToken: String? = nil) throws(AdminAccessError) {
        guard token.utf8.count >= 16 else { throw .tooShort("the admin token") }
        if let metricsToken, metricsToken.utf8.count < 16 { throw .tooShort("the metrics token") }
        self.token = token
        self.metricsToken = metricsToken
    }

    /// Access with a freshly generated token (32 random bytes, base64url).
    public static func generated() -> AdminAccess {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // 43 characters: never too short.
        return AdminAccess(unchecked: Base64URL.encode(bytes))
    }

    private init(unchecked token: String) {
        self.token = token
        self.metricsToken = nil
    }

    /// Whether `request` carries the admin token (bearer header or dashboard cookie).
    public func authorizesAdmin(_ request: RouteRequest) -> Bool {
        presented(in: request).contains { Self.equalInConstantTime($0, token) }
    }

    /// Whether `request` may read `/metrics`: the admin token, or the metrics token.
    public func authorizesMetrics(_ request: RouteRequest) -> Bool {
        presented(in: request).contains { candidate in
            Self.equalInConstantTime(candidate, token) || metricsToken.map { Self.equalInConstantTime(candidate, $0) } == true
        }
    }

    /// The answer to a request without the credential: 401 with a reason saying what to do.
    public func unauthorized(_ what: String) -> RouteResponse {
        RouteResponse(
            status: 401, contentType: "text/plain; charset=utf-8",
            text: "\(what) needs the admin token: open the dashboard link printed at start-up, "
                + "or send 'Authorization: Bearer <token>' (the token is SITEFLOW_ADMIN_TOKEN, or printed at start-up)\n",
            headers: [(name: "www-authenticate", value: "Bearer realm=\"siteflow\"")])
    }

    /// Serves `/dashboard/`: with `?token=` right, sets the cookie and redirects to the bare
    /// page; with the cookie or bearer, `page()`; otherwise 401.
    public func dashboardPage(_ request: RouteRequest, page: () -> RouteResponse) -> RouteResponse {
        if let offered = request.queryParameters["token"] {
            guard Self.equalInConstantTime(offered, token) else { return unauthorized("the dashboard") }
            return RouteResponse(
                status: 303, contentType: "text/plain; charset=utf-8", text: "signed in; see /dashboard/\n",
                headers: [
                    (name: "location", value: "/dashboard/"),
                    (name: "set-cookie", value: "\(Self.cookieName)=\(token); Path=/dashboard; HttpOnly; SameSite=Strict"),
                    (name: "cache-control", value: "no-store"),
                ])
        }
        return authorizesAdmin(request) ? page() : unauthorized("the dashboard")
    }

    /// The tokens a request presents: its bearer token and its admin cookie.
    private func presented(in request: RouteRequest) -> [String] {
        var tokens: [String] = []
        for header in request.headers {
            switch header.name {
            case "authorization":
                let value = header.value.drop { $0 == " " }
                if value.lowercased().hasPrefix("bearer ") {
                    tokens.append(String(value.dropFirst("bearer ".count).trimmingPrefix(" ")))
                }
            case "cookie":
                for pair in header.value.split(separator: ";") {
                    let trimmed = pair.drop { $0 == " " }
                    if trimmed.hasPrefix(Self.cookieName + "=") {
                        tokens.append(String(trimmed.dropFirst(Self.cookieName.count + 1)))
                    }
                }
            default:
                continue
            }
        }
        return tokens
    }

    /// Compares two strings without stopping at the first difference (timing tells nothing of
    /// where they differ; only of their lengths).
    static func equalInConstantTime(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}

/// Why an admin or metrics token was refused.
public enum AdminAccessError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The token is shorter than 16 characters (which one is named).
    case tooShort(String)

    public var description: String {
        switch self {
        case .tooShort(let which): "\(which) must be at least 16 characters long; generate one with `openssl rand -base64 32`"
        }
    }
}
