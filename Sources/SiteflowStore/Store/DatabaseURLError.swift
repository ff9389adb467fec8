import Foundation

/// Why a `--database` value could not be parsed. The message names the problem and shows the
/// accepted forms; the offending text is kept with any password hidden.
public struct DatabaseURLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the text.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case missingScheme, unsupportedScheme, missingPath, malformed, missingUser, missingHost
            case invalidPort, missingDatabase
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// No `scheme:` prefix.
        public static var missingScheme: Code { Code(.missingScheme) }
        /// A scheme other than `sqlite`, `postgres` or `postgresql`.
        public static var unsupportedScheme: Code { Code(.unsupportedScheme) }
        /// `sqlite:` with no path.
        public static var missingPath: Code { Code(.missingPath) }
        /// Not a URL of the expected shape (bad escapes, missing `//`, unbalanced brackets).
        public static var malformed: Code { Code(.malformed) }
        /// No user name before `@`.
        public static var missingUser: Code { Code(.missingUser) }
        /// No host after `@`.
        public static var missingHost: Code { Code(.missingHost) }
        public var description: String { "\(value)" }
        /// A port that is not a number in 1…65535.
        public static var invalidPort: Code { Code(.invalidPort) }
        /// No database name after the host.
        public static var missingDatabase: Code { Code(.missingDatabase) }
    }

    /// What is wrong.
    public let code: Code
    /// The text that was parsed, with the password (if any) hidden.
    public let text: String

    init(_ code: Code, text: String) {
        self.code = code
        self.text = Self.hidingPassword(text)
    }

    public var description: String {
        "invalid database URL '\(text)' (\(code)); expected sqlite:PATH or postgres://user:pass@host:port/db"
    }

    private static func hidingPassword(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text.lastIndex(of: "@"), at > schemeEnd.upperBound else {
            return text
        }
        let userInfo = text[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
