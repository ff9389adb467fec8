import NIOCore
import SiteflowRealtime
import Testing

@Suite("Phoenix serializers: V1 objects, V2 arrays, V2 binary")
struct PhoenixSerializerTests {
    func text(_ string: String) -> TransportFrame { .text(ByteBuffer(string: string)) }

    func decodeError(_ serializer: PhoenixSerializer, _ frame: TransportFrame, limits: JSONLimits = .default) -> PhoenixDecodingError? {
        do {
            _ = try serializer.decode(frame, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test("vsn chooses the serializer: missing or 1.x → V1, 2.x → V2, anything else refused")
    func versionSelection() {
        #expect(PhoenixSerializer(vsn: nil) == .v1)
        #expect(PhoenixSerializer(vsn: "1.0.0") == .v1)
        #expect(PhoenixSerializer(vsn: "2.0.0") == .v2)
        #expect(PhoenixSerializer(vsn: "3.0.0") == nil)
    }

    @Test("V2 decodes [join_ref, ref, topic, event, payload] with null refs")
    func v2Decode() throws {
        let message = try PhoenixSerializer.v2.decode(text(#"["1","2","room:lobby","new_msg",{"body":"hi"}]"#))
        #expect(message == PhoenixMessage(joinRef: "1", ref: "2", topic: "room:lobby", event: "new_msg", payload: .json(["body": "hi"])))
        let heartbeat = try PhoenixSerializer.v2.decode(text(#"[null,"5","phoenix","heartbeat",{}]"#))
        #expect(heartbeat.joinRef == nil)
        #expect(heartbeat.ref == "5")
    }

    @Test("V2 errors: wrong arity, wrong types, payload not an object, not an array, bad JSON")
    func v2Errors() {
        #expect(decodeError(.v2, text(#"["1","2","t","e"]"#))?.code == .wrongArity)
        let badTopic = decodeError(.v2, text(#"["1","2",3,"e",{}]"#))
        #expect(badTopic?.code == .wrongType)
        #expect(badTopic?.field == "topic")
        let badEvent = decodeError(.v2, text(#"["1","2","room:a",true,{}]"#))
        #expect(badEvent?.code == .wrongType)
        #expect(badEvent?.field == "event")
        #expect(badEvent?.topic == "room:a")
        #expect(badEvent?.ref == "2")
        let badPayload = decodeError(.v2, text(#"["1","2","room:a","e",[1]]"#))
        #expect(badPayload?.code == .payloadNotObject)
        #expect(badPayload?.topic == "room:a")
        #expect(decodeError(.v2, text(#"["1",{},"room:a","e",{}]"#))?.field == "ref")
        #expect(decodeError(.v2, text(#"{"topic":"x"}"#))?.code == .notAnArray)
        #expect(decodeError(.v2, text(#"[1,2"#))?.code == .invalidJSON)
        #expect(decodeError(.v2, text(#"[null,null,"t","e",{}]"#), limits: JSONLimits(maxBytes: 10))?.code == .oversized)
    }

    @Test("V1 decodes {topic, event, payload, ref} and names its errors")
    func v1Decode() throws {
        let message = try PhoenixSerializer.v1.decode(text(#"{"topic":"room:a","event":"phx_join","payload":{},"ref":"1"}"#))
        #expect(message == PhoenixMessage(joinRef: nil, ref: "1", topic: "room:a", event: "phx_join", payload: .empty))
        #expect(decodeError(.v1, text(#"["1","2","t","e",{}]"#))?.code == .notAnObject)
        #expect(decodeError(.v1, text(#"{"event":"e","payload":{}}"#))?.field == "topic")
        let noPayload = decodeError(.v1, text(#"{"topic":"t","event":"e","ref":"9"}"#))
        #expect(noPayload?.code == .payloadNotObject)
        #expect(noPayload?.ref == "9")
        #expect(decodeError(.v1, .binary(ByteBuffer(bytes: [0])))?.code == .binaryNotSupported)
    }

    @Test("V2 and V1 encode pushes, replies and broadcasts as Phoenix does")
    func encodeJSON() {
        let push = PhoenixMessage(joinRef: "1", ref: nil, topic: "room:a", event: "new_msg", payload: .json(["body": "hi"]))
        #expect(PhoenixSerializer.v2.encode(push) == text(#"["1",null,"room:a","new_msg",{"body":"hi"}]"#))
        #expect(PhoenixSerializer.v1.encode(push) == text(#"{"topic":"room:a","event":"new_msg","payload":{"body":"hi"},"ref":null,"join_ref":"1"}"#))
        let reply = PhoenixReply(joinRef: "1", ref: "3", topic: "room:a", status: .ok, response: .json(["x": 1]))
        #expect(PhoenixSerializer.v2.encode(reply) == text(#"["1","3","room:a","phx_reply",{"status":"ok","response":{"x":1}}]"#))
        #expect(PhoenixSerializer.v1.encode(reply)
            == text(#"{"topic":"room:a","event":"phx_reply","payload":{"status":"ok","response":{"x":1}},"ref":"3","join_ref":"1"}"#))
        #expect(PhoenixSerializer.v2.encodeBroadcast(topic: "room:a", event: "e", payload: .empty) == text(#"[null,null,"room:a","e",{}]"#))
    }

    @Test("binary push from the client decodes with its payload as raw bytes")
    func binaryDecode() throws {
        var bytes: [UInt8] = [0, 1, 2, 6, 3]
        bytes += Array("1".utf8) + Array("12".utf8) + Array("room:a".utf8) + Array("img".utf8) + [0xFF, 0x00, 0x01]
        let message = try PhoenixSerializer.v2.decode(.binary(ByteBuffer(bytes: bytes)))
        #expect(message.joinRef == "1")
        #expect(message.ref == "12")
        #expect(message.topic == "room:a")
        #expect(message.event == "img")
        #expect(message.payload == .binary(ByteBuffer(bytes: [0xFF, 0x00, 0x01])))
    }

    @Test("garbage binary frames are typed errors", arguments: [
        [UInt8](), [1, 0, 0, 0, 0], [2, 0, 0], [0, 5, 0, 0, 0, 65], [0, 0, 0, 1, 1, 0xC3, 0x28], [0, 1],
    ])
    func garbageBinary(bytes: [UInt8]) {
        #expect(decodeError(.v2, .binary(ByteBuffer(bytes: bytes)))?.code == .garbageBinary)
    }

    @Test("binary server push, reply and broadcast layouts")
    func binaryEncode() {
        let payload = ByteBuffer(bytes: [9, 8])
        let push = PhoenixMessage(joinRef: "1", ref: nil, topic: "t", event: "ev", payload: .binary(payload))
        #expect(PhoenixSerializer.v2.encode(push) == .binary(ByteBuffer(bytes: [0, 1, 1, 2] + Array("1tev".utf8) + [9, 8])))
        let reply = PhoenixReply(joinRef: "1", ref: "2", topic: "t", status: .ok, response: .binary(payload))
        #expect(PhoenixSerializer.v2.encode(reply) == .binary(ByteBuffer(bytes: [1, 1, 1, 1, 2] + Array("12tok".utf8) + [9, 8])))
        #expect(PhoenixSerializer.v2.encodeBroadcast(topic: "t", event: "ev", payload: .binary(payload))
            == .binary(ByteBuffer(bytes: [2, 1, 2] + Array("tev".utf8) + [9, 8])))
        #expect(PhoenixSerializer.v1.encode(push) == nil)
    }
}
