import NIOCore
import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

/// SplitMix64: a small, seeded, deterministic generator (the same seed gives the same frames).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated Phoenix frames.
struct FrameFuzzer {
    var random: SplitMix64

    static let textCorpus: [String] = [
        #"["1","1","room:a","phx_join",{}]"#,
        #"["1","2","room:a","echo",{"body":"hi","n":[1,2.5,null,true,false],"o":{"k":"\u00e9\n"}}]"#,
        #"[null,"3","phoenix","heartbeat",{}]"#,
        #"["1","4","room:a","phx_leave",{}]"#,
        #"["1","5","room:a","push",{"x":-12e3}]"#,
        #"["2","2","room:b","phx_join",{"deny":false}]"#,
        #"[null,"6","room:b","shout",{"msg":"😀"}]"#,
        #"{"topic":"room:a","event":"phx_join","payload":{},"ref":"1"}"#,
        #"["1","7","room:a","noreply",{"deep":[[[[[[]]]]]]}]"#,
    ]

    static let binaryCorpus: [[UInt8]] = [
        [0, 1, 1, 6, 4] + Array("18room:aecho".utf8) + [1, 2, 3],
        [0, 0, 1, 6, 4] + Array("9room:bpush".utf8),
    ]

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }

    /// The next frame: mostly mutations of valid frames, some pure noise, some valid ones.
    mutating func next() -> TransportFrame {
        let choice = int(0..<100)
        if choice < 8 {
            return .text(ByteBuffer(string: Self.textCorpus[int(0..<Self.textCorpus.count)]))
        }
        if choice < 14 {
            let bytes = (0..<int(0..<64)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return int(0..<2) == 0 ? .text(ByteBuffer(bytes: bytes)) : .binary(ByteBuffer(bytes: bytes))
        }
        let binary = choice < 30
        var bytes = binary ? Self.binaryCorpus[int(0..<Self.binaryCorpus.count)]
            : Array(Self.textCorpus[int(0..<Self.textCorpus.count)].utf8)
        for _ in 0..<int(1..<5) { mutate(&bytes) }
        return binary ? .binary(ByteBuffer(bytes: bytes)) : .text(ByteBuffer(bytes: bytes))
    }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        let interesting: [UInt8] = Array("[]{}\",:\\0-1eE.nulltruefalse\u{00}".utf8) + [0xC3, 0x80, 0xFF, 0xED, 0xA0]
        switch int(0..<7) {
        case 0 where !bytes.isEmpty:  // flip a bit
            bytes[int(0..<bytes.count)] ^= UInt8(1) << UInt8(int(0..<8))
        case 1 where !bytes.isEmpty:  // delete a byte
            bytes.remove(at: int(0..<bytes.count))
        case 2:  // insert an interesting byte
            bytes.insert(interesting[int(0..<interesting.count)], at: int(0..<(bytes.count + 1)))
        case 3 where !bytes.isEmpty:  // truncate
            bytes.removeLast(int(0..<bytes.count))
        case 4 where !bytes.isEmpty:  // replace a byte with an interesting one
            bytes[int(0..<bytes.count)] = interesting[int(0..<interesting.count)]
        case 5 where bytes.count > 2:  // duplicate a slice
            let start = int(0..<bytes.count - 1)
            let end = int(start + 1..<bytes.count)
            bytes.insert(contentsOf: bytes[start..<end], at: int(0..<bytes.count))
        default:  // deep nesting
            let depth = int(1..<60)
            bytes = Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
        }
    }
}

/// A connection for the fuzz run: keeps no frames, only reports heartbeat replies whose ref
/// starts with `fuzz-sync-` and the close, so waiting costs one event per batch.
final class MarkerConnection: TransportConnection {
    enum Marker: Sendable {
        case sync(String)
        case closed(TransportCloseCode, String)
    }

    let markers = EventQueue<Marker>()
    private static let prefix = Array(#"[null,"fuzz-sync-"#.utf8)

    func send(_ frame: TransportFrame) -> Bool {
        guard case .text(let buffer) = frame, buffer.readableBytes > Self.prefix.count,
            buffer.readableBytesView.starts(with: Self.prefix)
        else { return true }
        let text = String(buffer: buffer).dropFirst(7)
        markers.push(.sync(String(text.prefix { $0 != "\"" })))
        return true
    }

    var isClosing: Bool { false }

    func close(code: TransportCloseCode, reason: String) { markers.push(.closed(code, reason)) }

    func nextMarker() async throws -> Marker { try await markers.next(within: .seconds(30)) }
}

struct MarkerClient {
    let connection: MarkerConnection
    let session: any TransportSession
    func send(_ text: String) { session.received(.text(ByteBuffer(string: text))) }
}

func connect(_ harness: Harness) throws -> MarkerClient {
    let connection = MarkerConnection()
    let request = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0"])
    guard case .accept(_, let session) = harness.endpoint.connect(request, connection: connection) else {
        throw TestError("refused")
    }
    return MarkerClient(connection: connection, session: session)
}

@Suite("Fuzz: random and mutated frames never crash and are always answered")
struct FuzzTests {
    @Test("100,000 random and mutated frames through the V1 and V2 decoders: a message or a typed error, and decoded JSON re-encodes to the same message")
    func decoders() {
        var fuzzer = FrameFuzzer(seed: 0x5EED_0001)
        var decoded = 0
        var failed = 0
        var unnamed = 0
        for _ in 0..<100_000 {
            let frame = fuzzer.next()
            for serializer in PhoenixSerializer.allCases {
                do {
                    let message = try serializer.decode(frame, limits: JSONLimits(maxDepth: 32, maxBytes: 4096))
                    decoded += 1
                    if case .json = message.payload, serializer == .v2, let encoded = serializer.encode(message),
                        (try? serializer.decode(encoded)) != message
                    {
                        Issue.record("re-encoding changed \(message)")
                    }
                } catch {
                    failed += 1
                    if error.description.isEmpty { unnamed += 1 }
                }
            }
        }
        #expect(decoded + failed == 200_000)
        #expect(unnamed == 0, "every error names what was wrong")
        #expect(decoded > 1_000, "the corpus keeps some frames valid")
        #expect(failed > 100_000, "most mutations are invalid")
    }

    @Test("100,000 frames through live V2 sockets: each bad frame gets an error reply or a counted clean close; sockets never crash")
    func liveSocket() async throws {
        let configuration = SocketConfiguration(
            limits: .init(maxChannels: 100, rateLimitBurst: 1_000_000, rateLimitPerSecond: 1_000_000),
            maxFrameBytes: 4096, jsonLimits: JSONLimits(maxDepth: 32, maxBytes: 4096))
        let harness = Harness.make(configuration: configuration)
        defer { harness.shutdown() }
        var fuzzer = FrameFuzzer(seed: 0x5EED_0002)
        var client = try connect(harness)
        var expectedReplied = 0
        var expectedClosed = 0
        var sent = 0
        var syncs = 0
        var batch = 0
        while sent < 100_000 {
            let frame = fuzzer.next()
            sent += 1
            batch += 1
            var closes = false
            do {
                _ = try PhoenixSerializer.v2.decode(frame, limits: configuration.jsonLimits)
            } catch {
                if error.topic != nil { expectedReplied += 1 } else { closes = true }
            }
            client.session.received(frame)
            if closes {
                expectedClosed += 1
                // Everything up to the bad frame was handled; then the connection closed cleanly.
                guard case .closed(let code, let reason) = try await client.connection.nextMarker() else {
                    Issue.record("expected a close after a frame without a readable topic")
                    return
                }
                #expect(code != .internalError)
                #expect(!reason.isEmpty)
                client = try connect(harness)
                batch = 0
            } else if batch >= 200 {
                syncs += 1
                client.send(#"[null,"fuzz-sync-\#(syncs)","phoenix","heartbeat",{}]"#)
                guard case .sync(let seen) = try await client.connection.nextMarker(), seen == "fuzz-sync-\(syncs)" else {
                    Issue.record("expected the heartbeat reply; the socket closed on frames that decode")
                    return
                }
                batch = 0
            }
        }
        client.send(#"[null,"fuzz-sync-final","phoenix","heartbeat",{}]"#)
        guard case .sync = try await client.connection.nextMarker() else {
            Issue.record("expected the final heartbeat reply")
            return
        }
        let stats = harness.endpoint.statistics.snapshot()
        #expect(stats[.badFramesReplied] == expectedReplied)
        #expect(stats[.badFramesClosed] + stats[.oversizedFrames] == expectedClosed)
        #expect(harness.runtime.statistics.crashed == stats[.channelCrashes], "only channels crash (on purpose), never a socket")
        #expect(expectedClosed > 1_000)
        #expect(expectedReplied > 1_000)
    }
}
