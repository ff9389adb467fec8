import Foundation
import SiteflowRealtime
import Testing

/// `siteflow_socket_events_total{event="<event>"}` in a `/metrics` response (0 when absent).
private func socketEvents(_ event: String, in metrics: String) -> Int {
    let prefix = #"siteflow_socket_events_total{event="\#(event)"} "#
    return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
}

@Suite("Join limits of a `siteflow serve` node", .timeLimit(.minutes(2)))
struct JoinLimitTests {
    @Test("joins past --join-burst / --joins-per-second and rooms past --rooms-per-minute are answered with their reasons and counted on /metrics; joining a room that exists is free")
    func joinAndRoomCreationLimits() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-joins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let node = try await NodeProcess.start(
            database: "sqlite:" + folder.appendingPathComponent("chat.db").path,
            options: ["--join-burst", "2", "--joins-per-second", "0.001", "--rooms-per-minute", "2"])
        do {
            try await Self.exercise(port: node.port)
        } catch {
            await node.kill(SIGKILL)
            throw error
        }
        await node.kill(SIGTERM)
    }

    private static func exercise(port: Int) async throws {
        // One socket: two joins (each creating a room) use its burst; the third is refused.
        let first = try await PhoenixTestClient.connect(port: port)
        defer { first.close() }
        _ = try await first.join("room:one", payload: ["nickname": "ann"])
        _ = try await first.join("room:two", payload: ["nickname": "ann"])
        let ref = first.push(joinRef: "3", topic: "room:three", event: "phx_join", payload: ["nickname": "ann"], ref: "limited")
        let limited = try await first.reply(to: ref)
        #expect(limited.payload["status"] == "error")
        #expect(limited.payload["response"]?["reason"] == "join rate limited")

        // Another socket from the same address: its join budget is its own, but the address has
        // created its two rooms this minute, so a new room is refused and an existing one is not.
        let second = try await PhoenixTestClient.connect(port: port)
        defer { second.close() }
        let create = second.push(joinRef: "1", topic: "room:three", event: "phx_join", payload: ["nickname": "bob"], ref: "create")
        let refused = try await second.reply(to: create)
        #expect(refused.payload["status"] == "error")
        #expect(refused.payload["response"]?["reason"] == "room creation rate limited")
        let existing = try await second.join("room:one", payload: ["nickname": "bob"])
        #expect(existing.reply["status"] == "ok")

        // Both refusals are on /metrics; the sockets are still open and answer.
        let metrics = try await httpGet(port: port, path: "/metrics", headers: [("Authorization", "Bearer \(NodeProcess.adminToken)")]).body
        #expect(socketEvents("joinRateLimited", in: metrics) == 1)
        #expect(socketEvents("roomCreationRateLimited", in: metrics) == 1)
        let typing = first.push(joinRef: nil, topic: "room:one", event: "typing", payload: .emptyObject)
        #expect(try await first.reply(to: typing).payload["status"] == "ok")
    }
}
