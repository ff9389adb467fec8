import Foundation
import NIOCore
import SiteflowRealtime
import SiteflowRuntime
import Synchronization
import Testing

/// Throughput measurements, run only on demand (`SITEFLOW_MEASURE=1 swift test -c release
/// --filter RealtimeMeasurements`); they print numbers and assert nothing about speed.
@Suite("Realtime measurements (on demand)", .enabled(if: ProcessInfo.processInfo.environment["SITEFLOW_MEASURE"] == "1"))
struct RealtimeMeasurements {
    static let frame = #"["3","17","room:lobby","new_msg",{"body":"hello there, how are you doing today?","user":{"id":42,"name":"alice"},"tags":["a","b"],"ts":1732000000123}]"#

    func measure(_ label: String, iterations: Int, _ body: () throws -> Void) rethrows {
        let clock = ContinuousClock()
        for _ in 0..<(iterations / 10) { try body() }  // warm up
        let start = clock.now
        for _ in 0..<iterations { try body() }
        let elapsed = clock.now - start
        let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        print("measure: \(label): \(Int(nanos / Double(iterations))) ns/op over \(iterations)")
    }

    @Test("decode and encode a typical V2 frame; Foundation's JSONSerialization for comparison")
    func codec() throws {
        let buffer = ByteBuffer(string: Self.frame)
        let data = Data(Self.frame.utf8)
        try measure("PhoenixSerializer.v2.decode (hand-written parser)", iterations: 200_000) {
            _ = try PhoenixSerializer.v2.decode(.text(buffer))
        }
        try measure("JSONSerialization.jsonObject (Foundation, no Phoenix checks)", iterations: 200_000) {
            _ = try JSONSerialization.jsonObject(with: data)
        }
        let message = try PhoenixSerializer.v2.decode(.text(buffer))
        measure("PhoenixSerializer.v2.encode", iterations: 200_000) {
            _ = PhoenixSerializer.v2.encode(message)
        }
    }

    final class CountingConnection: TransportConnection {
        let count = Atomic<Int>(0)
        func send(_ frame: TransportFrame) -> Bool {
            count.wrappingAdd(1, ordering: .relaxed)
            return true
        }
        var isClosing: Bool { false }
        func close(code: TransportCloseCode, reason: String) {}
    }

    @Test("fastlane broadcast to 1,000 joined sockets")
    func fastlane() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let connection = CountingConnection()
        let request = ConnectionRequest(transport: .webSocket, path: "/socket/websocket", queryParameters: ["vsn": "2.0.0"])
        var joined = 0
        for _ in 0..<1_000 {
            guard case .accept(_, let session) = harness.endpoint.connect(request, connection: connection) else { return }
            session.received(.text(ByteBuffer(string: #"["1","1","room:bench","phx_join",{}]"#)))
            joined += 1
        }
        while connection.count.load(ordering: .relaxed) < joined { await Task.yield() }
        let payload = PhoenixPayload.json(["body": "hello everyone", "user": 42])
        measure("PubSub.broadcast to 1,000 fastlane subscribers (per broadcast)", iterations: 2_000) {
            harness.pubsub.broadcast(topic: "room:bench", event: "new_msg", payload: payload)
        }
    }
}
