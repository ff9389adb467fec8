/// Why a JSON text could not be parsed, and where (byte offset).
public struct JSONDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unexpectedEnd = "unexpected end of input"
            case unexpectedCharacter = "unexpected character"
            case invalidNumber = "invalid number"
            case invalidEscape = "invalid escape sequence"
            case invalidUTF8 = "invalid UTF-8"
            case controlCharacterInString = "control character in string"
            case tooDeep = "nesting too deep"
            case tooLarge = "input too large"
            case trailingData = "data after the JSON value"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input ended inside a value.
        public static var unexpectedEnd: Code { Code(.unexpectedEnd) }
        /// A byte that cannot start or continue a value here.
        public static var unexpectedCharacter: Code { Code(.unexpectedCharacter) }
        /// A malformed number.
        public static var invalidNumber: Code { Code(.invalidNumber) }
        /// A malformed `\` escape or an unpaired surrogate.
        public static var invalidEscape: Code { Code(.invalidEscape) }
        /// Bytes that are not valid UTF-8 inside a string.
        public static var invalidUTF8: Code { Code(.invalidUTF8) }
        /// A raw control character (below U+0020) inside a string.
        public static var controlCharacterInString: Code { Code(.controlCharacterInString) }
        /// Arrays/objects nested deeper than ``JSONLimits/maxDepth``.
        public static var tooDeep: Code { Code(.tooDeep) }
        /// Input longer than ``JSONLimits/maxBytes``.
        public static var tooLarge: Code { Code(.tooLarge) }
        /// Something other than whitespace after the value.
        public static var trailingData: Code { Code(.trailingData) }

        /// A short English description.
        public var description: String { base.rawValue }
    }

    /// What was wrong.
    public let code: Code
    /// The byte offset in the input where the problem was found.
    public let offset: Int

    /// Creates an error.
    public init(_ code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// e.g. `invalid UTF-8 at byte 12`.
    public var description: String { "\(code) at byte \(offset)" }
}
