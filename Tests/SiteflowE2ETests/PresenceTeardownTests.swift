import SiteflowApp
import SiteflowRealtime
import Testing

@Suite("Presence teardown on a real node")
struct PresenceTeardownTests {
    @Test("100 sockets in 100 rooms (10,000 presences) leave at once; a bystander's heartbeat is still answered and it sees every leave")
    func massLeaveKeepsNodeResponsive() async throws {
        let sockets = 100
        let rooms = 100
        // Every client comes from 127.0.0.1: let that address create the 100 rooms.
        try await withNode(configure: { $0.chatRooms.roomsPerMinute = rooms }) { node in
            let port = try #require(node.port)
            let bystander = try await PhoenixTestClient.connect(port: port)
            defer { bystander.close() }
            let watched = try await bystander.join("room:r0", payload: ["nickname": "bystander"])
            #expect(watched.reply["status"] == "ok")

            var clients: [PhoenixTestClient] = []
            for index in 0..<sockets {
                let client = try await PhoenixTestClient.connect(port: port)
                clients.append(client)
                let refs = (0..<rooms).map { room in
                    client.push(joinRef: nil, topic: "room:r\(room)", event: "phx_join", payload: ["nickname": .string("u\(index)")])
                }
                for ref in refs {
                    let reply = try await client.reply(to: ref)
                    #expect(reply.payload["status"] == "ok")
                }
            }
            // Every presence is tracked before the teardown starts: the bystander has seen all joins of room:r0.
            try await collectKeys(of: "joins", on: bystander, count: sockets)

            for client in clients { client.close() }
            let ref = bystander.push(joinRef: nil, topic: "phoenix", event: "heartbeat", payload: .emptyObject)
            var answered = false
            var left = Set<String>()
            while !answered || left.count < sockets {
                let frame = try await bystander.next(
                    "the heartbeat reply (\(answered ? "got" : "not yet")) and every leave (\(left.count) of \(sockets))",
                    within: .seconds(60)
                ) { ($0.event == "phx_reply" && $0.ref == ref) || ($0.event == "presence_diff" && $0.topic == "room:r0") }
                if frame.event == "phx_reply" {
                    #expect(frame.payload["status"] == "ok")
                    answered = true
                } else if case .object(let leaves)? = frame.payload["leaves"] {
                    for (key, _) in leaves { left.insert(key) }
                }
            }
        }
    }

    /// Waits for `presence_diff`s on room:r0 naming `count` distinct keys under `side` (`joins` or `leaves`).
    private func collectKeys(of side: String, on client: PhoenixTestClient, count: Int) async throws {
        var keys = Set<String>()
        while keys.count < count {
            let diff = try await client.next("presence_diff \(side) (\(keys.count) of \(count) keys seen)", within: .seconds(60)) {
                $0.event == "presence_diff" && $0.topic == "room:r0"
            }
            if case .object(let object)? = diff.payload[side] {
                for (key, _) in object { keys.insert(key) }
            }
        }
    }
}
