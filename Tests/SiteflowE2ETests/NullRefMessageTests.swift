import SiteflowApp
import SiteflowRealtime
import SiteflowStore
import Testing

@Suite("Pushes without a ref on a real node")
struct NullRefMessageTests {
    @Test("a new_msg with a null ref (no reply wanted) is stored and broadcast like any other, just not acknowledged")
    func nullRefMessageIsStored() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let bob = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); bob.close() }
            let joined = try await alice.join("room:quiet", payload: ["nickname": "alice"])
            _ = try await bob.join("room:quiet", payload: ["nickname": "bob"])
            alice.sendRaw(#"["\#(joined.joinRef)",null,"room:quiet","new_msg",{"body":"no ack wanted"}]"#)
            let broadcast = try await bob.next("alice's message") { $0.event == "new_msg" }
            #expect(broadcast.payload["body"] == "no ack wanted")
            #expect(broadcast.payload["nickname"] == "alice")
            let stored = try await node.store.history(room: "quiet", limit: 10, before: nil)
            #expect(stored.messages.map(\.body) == ["no ack wanted"])
            // Alice's next push with a ref is acknowledged as usual (and nothing replied to the first).
            let ref = alice.push(joinRef: joined.joinRef, topic: "room:quiet", event: "new_msg", payload: ["body": "with ack"])
            let ack = try await alice.next("the reply") { $0.event == "phx_reply" }
            #expect(ack.ref == ref)
            #expect(ack.payload["status"] == "ok")
        }
    }
}
