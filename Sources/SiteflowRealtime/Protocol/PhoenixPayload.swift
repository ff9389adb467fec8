public import NIOCore

/// The payload of a Phoenix message: a JSON value (an object, for pushes and joins) or raw bytes
/// (V2 binary frames, carried without a copy).
public enum PhoenixPayload: Sendable, Hashable {
    /// A JSON payload.
    case json(JSONValue)
    /// A binary payload (only the V2 serializer can carry it).
    case binary(ByteBuffer)

    /// The empty object `{}`.
    public static let empty = PhoenixPayload.json(.emptyObject)

    /// The JSON value, if this is a JSON payload.
    public var json: JSONValue? {
        if case .json(let value) = self { return value }
        return nil
    }
}
