import FoundationEssentials

/// Encodes the payloads of isolation frames: JSON, from the toolchain's FoundationEssentials.
///
/// Why JSON: it handles every `Codable` type (enums with payloads, optionals, nested values)
/// with no new dependency; it is self-describing, so a hand-written `init(from:)` that decodes
/// keys in another order or skips optional ones still works; and for the small messages servers
/// exchange it is smaller than a binary property list, whose fixed header and trailer alone take
/// 40 bytes. The frame header around it is binary. Its cost is part of the per-message figure
/// of `siteflow bench runtime isolated-call` / `isolated-cast` (ADR 0018); a compact binary coder
/// is the next step if that figure is dominated by encoding.
enum IsolationCodec {
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        return Array(try encoder.encode(value))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
