import NIOCore

/// The Phoenix wire formats: V1 (`{topic, event, payload, ref}` objects) and V2 (`[join_ref, ref,
/// topic, event, payload]` arrays, plus binary frames). Chosen per connection by the `vsn` query
/// parameter (``init(vsn:)``).
///
/// Decoding never traps: every malformed frame is a ``PhoenixDecodingError``. Encoding writes
/// straight into one `ByteBuffer` per frame.
public enum PhoenixSerializer: Sendable, Hashable, CaseIterable {
    /// `vsn` missing or `1.x`.
    case v1
    /// `vsn` `2.x`.
    case v2

    /// The serializer for a `vsn` query value: missing or `1.*` → V1, `2.*` → V2, anything else
    /// `nil` (the endpoint refuses the connection).
    public init?(vsn: String?) {
        guard let vsn, !vsn.isEmpty else {
            self = .v1
            return
        }
        if vsn == "1" || vsn.hasPrefix("1.") {
            self = .v1
        } else if vsn == "2" || vsn.hasPrefix("2.") {
            self = .v2
        } else {
            return nil
        }
    }

    // MARK: Decoding

    /// Decodes one inbound frame.
    /// - Throws: ``PhoenixDecodingError`` naming what was wrong.
    public func decode(_ frame: TransportFrame, limits: JSONLimits = .default) throws(PhoenixDecodingError) -> PhoenixMessage {
        switch frame {
        case .text(let buffer):
            let value: JSONValue
            do throws(JSONDecodingError) {
                value = try JSONValue(parsing: buffer, limits: limits)
            } catch {
                if error.code == .tooLarge { throw PhoenixDecodingError(.oversized) }
                if error.code == .tooDeep { throw PhoenixDecodingError(.tooDeep, json: error) }
                throw PhoenixDecodingError(.invalidJSON, json: error)
            }
            switch self {
            case .v1: return try Self.decodeV1(value)
            case .v2: return try Self.decodeV2(value)
            }
        case .binary(let buffer):
            guard self == .v2 else { throw PhoenixDecodingError(.binaryNotSupported) }
            guard buffer.readableBytes <= limits.maxBytes else { throw PhoenixDecodingError(.oversized) }
            return try Self.decodeBinaryPush(buffer)
        }
    }

    private static func optionalString(_ value: JSONValue, field: String) throws(PhoenixDecodingError) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        // Some clients send numeric refs; Phoenix keeps them as they are, we keep their text.
        case .int(let number): return String(number)
        default: throw PhoenixDecodingError(.wrongType, field: field)
        }
    }

    private static func decodeV2(_ value: JSONValue) throws(PhoenixDecodingError) -> PhoenixMessage {
        guard case .array(let elements) = value else { throw PhoenixDecodingError(.notAnArray) }
        guard elements.count == 5 else { throw PhoenixDecodingError(.wrongArity) }
        guard case .string(let topic) = elements[2] else { throw PhoenixDecodingError(.wrongType, field: "topic") }
        var context = PhoenixDecodingError(.wrongType)
        context.topic = topic
        do throws(PhoenixDecodingError) {
            context.joinRef = try? optionalString(elements[0], field: "join_ref")
            context.ref = try? optionalString(elements[1], field: "ref")
            let joinRef = try optionalString(elements[0], field: "join_ref")
            let ref = try optionalString(elements[1], field: "ref")
            guard case .string(let event) = elements[3] else { throw PhoenixDecodingError(.wrongType, field: "event") }
            guard elements[4].isObject else { throw PhoenixDecodingError(.payloadNotObject, field: "payload") }
            return PhoenixMessage(joinRef: joinRef, ref: ref, topic: topic, event: event, payload: .json(elements[4]))
        } catch {
            var error = error
            error.topic = context.topic
            error.ref = context.ref
            error.joinRef = context.joinRef
            throw error
        }
    }

    private static func decodeV1(_ value: JSONValue) throws(PhoenixDecodingError) -> PhoenixMessage {
        guard case .object(let object) = value else { throw PhoenixDecodingError(.notAnObject) }
        guard case .string(let topic)? = object["topic"] else { throw PhoenixDecodingError(.wrongType, field: "topic") }
        let ref = try? optionalString(object["ref"] ?? .null, field: "ref")
        let joinRef = try? optionalString(object["join_ref"] ?? .null, field: "join_ref")
        do throws(PhoenixDecodingError) {
            _ = try optionalString(object["ref"] ?? .null, field: "ref")
            _ = try optionalString(object["join_ref"] ?? .null, field: "join_ref")
            guard case .string(let event)? = object["event"] else { throw PhoenixDecodingError(.wrongType, field: "event") }
            guard let payload = object["payload"], payload.isObject else {
                throw PhoenixDecodingError(.payloadNotObject, field: "payload")
            }
            return PhoenixMessage(joinRef: joinRef ?? nil, ref: ref ?? nil, topic: topic, event: event, payload: .json(payload))
        } catch {
            var error = error
            error.topic = topic
            error.ref = ref ?? nil
            error.joinRef = joinRef ?? nil
            throw error
        }
    }

    /// `0 | join_ref_len | ref_len | topic_len | event_len | join_ref | ref | topic | event | payload`
    private static func decodeBinaryPush(_ frame: ByteBuffer) throws(PhoenixDecodingError) -> PhoenixMessage {
        var buffer = frame
        guard let kind = buffer.readInteger(as: UInt8.self), kind == 0 else {
            throw PhoenixDecodingError(.garbageBinary, field: "kind")
        }
        guard let joinRefLength = buffer.readInteger(as: UInt8.self),
            let refLength = buffer.readInteger(as: UInt8.self),
            let topicLength = buffer.readInteger(as: UInt8.self),
            let eventLength = buffer.readInteger(as: UInt8.self)
        else { throw PhoenixDecodingError(.garbageBinary, field: "header") }
        guard let joinRef = buffer.readUTF8(Int(joinRefLength)) else { throw PhoenixDecodingError(.garbageBinary, field: "join_ref") }
        guard let ref = buffer.readUTF8(Int(refLength)) else { throw PhoenixDecodingError(.garbageBinary, field: "ref") }
        guard let topic = buffer.readUTF8(Int(topicLength)) else { throw PhoenixDecodingError(.garbageBinary, field: "topic") }
        guard let event = buffer.readUTF8(Int(eventLength)) else {
            var error = PhoenixDecodingError(.garbageBinary, field: "event")
            error.topic = topic
            error.ref = ref
            error.joinRef = joinRef
            throw error
        }
        let payload = buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer()
        return PhoenixMessage(joinRef: joinRef.isEmpty ? nil : joinRef, ref: ref.isEmpty ? nil : ref, topic: topic,
                              event: event, payload: .binary(payload))
    }

    // MARK: Encoding

    /// Encodes a server push (`[join_ref, ref, topic, event, payload]`; binary payloads as a V2
    /// binary push). `nil` when this serializer cannot carry the payload (binary on V1).
    public func encode(_ message: PhoenixMessage) -> TransportFrame? {
        switch (self, message.payload) {
        case (.v1, .binary):
            return nil
        case (.v1, .json(let payload)):
            var writer = JSONWriter()
            writeV1(&writer, topic: message.topic, event: message.event, ref: message.ref, joinRef: message.joinRef) {
                $0.write(payload)
            }
            return .text(writer.buffer)
        case (.v2, .json(let payload)):
            var writer = JSONWriter()
            writeV2Prefix(&writer, joinRef: message.joinRef, ref: message.ref, topic: message.topic, event: message.event)
            writer.write(payload)
            writer.byte(UInt8(ascii: "]"))
            return .text(writer.buffer)
        case (.v2, .binary(let payload)):
            guard let header = Self.binaryHeader(kind: 0, [message.joinRef ?? "", message.topic, message.event]) else { return nil }
            return .binary(Self.join(header, payload))
        }
    }

    /// Encodes a reply (`phx_reply` with `{status, response}`; a binary response as a V2 binary
    /// reply). `nil` when this serializer cannot carry the response.
    public func encode(_ reply: PhoenixReply) -> TransportFrame? {
        switch (self, reply.response) {
        case (.v1, .binary):
            return nil
        case (_, .json(let response)):
            var writer = JSONWriter()
            let body: (inout JSONWriter) -> Void = { writer in
                writer.raw("{\"status\":")
                writer.writeString(reply.status.rawValue)
                writer.raw(",\"response\":")
                writer.write(response)
                writer.byte(UInt8(ascii: "}"))
            }
            if self == .v1 {
                writeV1(&writer, topic: reply.topic, event: PhoenixEvent.reply, ref: reply.ref, joinRef: reply.joinRef, payload: body)
            } else {
                writeV2Prefix(&writer, joinRef: reply.joinRef, ref: reply.ref, topic: reply.topic, event: PhoenixEvent.reply)
                body(&writer)
                writer.byte(UInt8(ascii: "]"))
            }
            return .text(writer.buffer)
        case (.v2, .binary(let payload)):
            guard let header = Self.binaryHeader(kind: 1, [reply.joinRef ?? "", reply.ref ?? "", reply.topic, reply.status.rawValue]) else {
                return nil
            }
            return .binary(Self.join(header, payload))
        }
    }

    /// Encodes a broadcast (`[null, null, topic, event, payload]`; binary payloads as a V2 binary
    /// broadcast): what the fastlane writes to every subscriber using this serializer.
    public func encodeBroadcast(topic: String, event: String, payload: PhoenixPayload) -> TransportFrame? {
        switch (self, payload) {
        case (.v2, .binary(let bytes)):
            guard let header = Self.binaryHeader(kind: 2, [topic, event]) else { return nil }
            return .binary(Self.join(header, bytes))
        default:
            return encode(PhoenixMessage(joinRef: nil, ref: nil, topic: topic, event: event, payload: payload))
        }
    }

    private func writeV2Prefix(_ writer: inout JSONWriter, joinRef: String?, ref: String?, topic: String, event: String) {
        writer.byte(UInt8(ascii: "["))
        writer.writeOptionalString(joinRef)
        writer.byte(UInt8(ascii: ","))
        writer.writeOptionalString(ref)
        writer.byte(UInt8(ascii: ","))
        writer.writeString(topic)
        writer.byte(UInt8(ascii: ","))
        writer.writeString(event)
        writer.byte(UInt8(ascii: ","))
    }

    private func writeV1(
        _ writer: inout JSONWriter, topic: String, event: String, ref: String?, joinRef: String?,
        payload: (inout JSONWriter) -> Void
    ) {
        writer.raw("{\"topic\":")
        writer.writeString(topic)
        writer.raw(",\"event\":")
        writer.writeString(event)
        writer.raw(",\"payload\":")
        payload(&writer)
        writer.raw(",\"ref\":")
        writer.writeOptionalString(ref)
        if let joinRef {
            writer.raw(",\"join_ref\":")
            writer.writeString(joinRef)
        }
        writer.byte(UInt8(ascii: "}"))
    }

    /// `kind | len… | fields…`; `nil` if a field is longer than 255 bytes (the format's limit).
    private static func binaryHeader(kind: UInt8, _ fields: [String]) -> ByteBuffer? {
        var size = 1 + fields.count
        for field in fields {
            guard field.utf8.count <= 255 else { return nil }
            size += field.utf8.count
        }
        var header = ByteBuffer()
        header.reserveCapacity(size)
        header.writeInteger(kind)
        for field in fields { header.writeInteger(UInt8(field.utf8.count)) }
        for field in fields { header.writeString(field) }
        return header
    }

    private static func join(_ header: ByteBuffer, _ payload: ByteBuffer) -> ByteBuffer {
        var frame = header
        var payload = payload
        frame.writeBuffer(&payload)
        return frame
    }
}

extension ByteBuffer {
    /// Reads `length` bytes as UTF-8 text; `nil` if fewer bytes remain or they are not UTF-8.
    fileprivate mutating func readUTF8(_ length: Int) -> String? {
        guard let slice = readSlice(length: length) else { return nil }
        return slice.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
    }
}
