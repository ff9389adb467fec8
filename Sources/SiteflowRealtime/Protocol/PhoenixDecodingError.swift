/// Why an inbound frame is not a valid Phoenix message.
///
/// When enough of the frame was readable to know its topic (and perhaps its refs), ``topic``,
/// ``ref`` and ``joinRef`` are set, so the socket can answer with an error reply on that topic
/// instead of closing the connection.
public struct PhoenixDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidJSON = "invalid JSON"
            case notAnArray = "V2 frame is not a JSON array"
            case notAnObject = "V1 frame is not a JSON object"
            case wrongArity = "V2 frame does not have 5 elements"
            case wrongType = "wrong type"
            case payloadNotObject = "payload is not an object"
            case oversized = "frame too large"
            case garbageBinary = "malformed binary frame"
            case binaryNotSupported = "binary frames need serializer V2"
            case tooDeep = "payload nested too deep"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The text is not valid JSON (see ``PhoenixDecodingError/json``).
        public static var invalidJSON: Code { Code(.invalidJSON) }
        /// A V2 text frame whose top-level value is not an array.
        public static var notAnArray: Code { Code(.notAnArray) }
        /// A V1 text frame whose top-level value is not an object.
        public static var notAnObject: Code { Code(.notAnObject) }
        /// A V2 array with other than 5 elements.
        public static var wrongArity: Code { Code(.wrongArity) }
        /// A field of the wrong type (see ``PhoenixDecodingError/field``).
        public static var wrongType: Code { Code(.wrongType) }
        /// A payload that is not a JSON object.
        public static var payloadNotObject: Code { Code(.payloadNotObject) }
        /// A frame larger than the configured limit.
        public static var oversized: Code { Code(.oversized) }
        /// A binary frame whose header is truncated, of an unknown kind, or not UTF-8.
        public static var garbageBinary: Code { Code(.garbageBinary) }
        /// A binary frame on a V1 socket.
        public static var binaryNotSupported: Code { Code(.binaryNotSupported) }
        /// Nesting deeper than the configured limit.
        public static var tooDeep: Code { Code(.tooDeep) }

        /// A short English description.
        public var description: String { base.rawValue }
    }

    /// What was wrong.
    public let code: Code
    /// The offending field (`topic`, `event`, `ref`, `join_ref`, `payload`), when one is to blame.
    public let field: String?
    /// The JSON error underneath ``Code/invalidJSON``.
    public let json: JSONDecodingError?
    /// The frame's topic, when it could be read.
    public var topic: String?
    /// The frame's ref, when it could be read.
    public var ref: String?
    /// The frame's join ref, when it could be read.
    public var joinRef: String?

    /// Creates an error.
    public init(_ code: Code, field: String? = nil, json: JSONDecodingError? = nil) {
        self.code = code
        self.field = field
        self.json = json
    }

    /// e.g. `wrong type: topic` or `invalid JSON: unexpected end of input at byte 7`.
    public var description: String {
        if let json { return "\(code): \(json)" }
        if let field { return "\(code): \(field)" }
        return code.description
    }
}
