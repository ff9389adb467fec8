/// Where the store lives: a SQLite file or a PostgreSQL server, parsed from the `--database`
/// option.
///
/// Accepted forms:
/// - `sqlite:PATH` (also `sqlite://PATH`): a SQLite file at `PATH`, relative to the working
///   directory unless absolute. The default is `sqlite:siteflow.db`.
/// - `postgres://user:pass@host:port/db` (also `postgresql://`): a PostgreSQL server; the
///   password and port (default 5432) are optional; user and database name are required.
///   Percent-escapes in user, password and database are decoded.
public enum DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// A SQLite database file.
    case sqlite(path: String)
    /// A PostgreSQL server.
    case postgres(PostgresEndpoint)

    /// The default: `siteflow.db` in the working directory.
    public static var `default`: DatabaseURL { .sqlite(path: "siteflow.db") }

    /// Parses a database URL.
    /// - Throws: ``DatabaseURLError`` saying what is wrong with the text.
    public init(parsing text: String) throws(DatabaseURLError) {
        let trimmed = text.trimmingWhitespace()
        guard let colon = trimmed.firstIndex(of: ":") else {
            throw DatabaseURLError(.missingScheme, text: text)
        }
        let scheme = trimmed[..<colon].lowercased()
        var rest = trimmed[trimmed.index(after: colon)...]
        switch scheme {
        case "sqlite":
            if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
            guard !rest.isEmpty else { throw DatabaseURLError(.missingPath, text: text) }
            self = .sqlite(path: String(rest))
        case "postgres", "postgresql":
            guard rest.hasPrefix("//") else { throw DatabaseURLError(.malformed, text: text) }
            self = .postgres(try PostgresEndpoint(parsingAuthority: rest.dropFirst(2), text: text))
        default:
            throw DatabaseURLError(.unsupportedScheme, text: text)
        }
    }

    /// The URL with any password replaced by `***` (safe to log).
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let endpoint): return endpoint.description
        }
    }
}

/// The parts of a `postgres://` URL.
public struct PostgresEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port (default 5432).
    public var port: Int
    /// User name.
    public var username: String
    /// Password, if any.
    public var password: String?
    /// Database name.
    public var database: String

    /// Creates an endpoint from its parts.
    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    init(parsingAuthority rest: Substring, text: String) throws(DatabaseURLError) {
        var rest = rest
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        guard let slash = rest.firstIndex(of: "/") else { throw DatabaseURLError(.missingDatabase, text: text) }
        let authority = rest[..<slash]
        let databaseName = rest[rest.index(after: slash)...]
        guard !databaseName.isEmpty, !databaseName.contains("/") else {
            throw DatabaseURLError(.missingDatabase, text: text)
        }
        guard let at = authority.lastIndex(of: "@") else { throw DatabaseURLError(.missingUser, text: text) }
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]
        let user: Substring
        var password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            user = userInfo[..<colon]
            password = try Self.decode(userInfo[userInfo.index(after: colon)...], text: text)
        } else {
            user = userInfo
        }
        guard !user.isEmpty else { throw DatabaseURLError(.missingUser, text: text) }
        var host = hostPort
        var port = 5432
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw DatabaseURLError(.malformed, text: text) }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst(), text: text) } else if !after.isEmpty {
                throw DatabaseURLError(.malformed, text: text)
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            port = try Self.port(hostPort[hostPort.index(after: colon)...], text: text)
        }
        guard !host.isEmpty else { throw DatabaseURLError(.missingHost, text: text) }
        self.init(
            host: String(host), port: port, username: try Self.decode(user, text: text), password: password,
            database: try Self.decode(databaseName, text: text))
    }

    private static func port(_ text: Substring, text whole: String) throws(DatabaseURLError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw DatabaseURLError(.invalidPort, text: whole) }
        return port
    }

    private static func decode(_ part: Substring, text: String) throws(DatabaseURLError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(part.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hex), let low = iterator.next().flatMap(Self.hex) else {
                    throw DatabaseURLError(.malformed, text: text)
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw DatabaseURLError(.malformed, text: text) }
        return decoded
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `postgres://user:***@host:port/db` (the password is never shown).
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
