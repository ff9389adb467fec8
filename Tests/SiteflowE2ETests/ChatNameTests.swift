import SiteflowApp
import SiteflowRealtime
import Testing

@Suite("Chat names on a real node")
struct ChatNameTests {
    @Test("room names and nicknames are limited in UTF-8 bytes, not Characters, and cannot pose as the system")
    func namesLimitedInBytesAndNotReserved() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let client = try await PhoenixTestClient.connect(port: port)
            defer { client.close() }
            func joinStatus(_ topic: String, nickname: String) async throws -> (status: String?, reason: String?) {
                let reply = try await client.join(topic, payload: ["nickname": .string(nickname)]).reply
                return (reply["status"]?.stringValue, reply["response"]?["reason"]?.stringValue)
            }
            // One extended grapheme cluster of 801 bytes: one Character, far over 64 bytes.
            let oneCluster = "e" + String(repeating: "\u{301}", count: 400)
            #expect(oneCluster.count == 1)
            #expect(try await joinStatus("room:a", nickname: oneCluster).status == "error")
            #expect(try await joinStatus("room:a", nickname: String(repeating: "é", count: 33)).status == "error")  // 66 bytes
            #expect(try await joinStatus("room:a", nickname: String(repeating: "n", count: 65)).status == "error")
            #expect(try await joinStatus("room:b", nickname: String(repeating: "😀", count: 16)).status == "ok")  // 64 bytes
            #expect(try await joinStatus("room:c", nickname: String(repeating: "n", count: 64)).status == "ok")
            #expect(try await joinStatus("room:" + String(repeating: "r", count: 65), nickname: "ann").status == "error")
            #expect(try await joinStatus("room:" + String(repeating: "é", count: 33), nickname: "ann").status == "error")
            #expect(try await joinStatus("room:" + String(repeating: "r", count: 64), nickname: "ann").status == "ok")
            for reserved in ["system", "System", " SERVER ", "Admin", "phoenix"] {
                let refused = try await joinStatus("room:d", nickname: reserved)
                #expect(refused.status == "error", "nickname '\(reserved)'")
                #expect(refused.reason == "this nickname is reserved")
            }
            for reserved in ["system", "Server", "ADMIN", "Phoenix"] {
                let refused = try await joinStatus("room:\(reserved)", nickname: "ann")
                #expect(refused.status == "error", "room '\(reserved)'")
                #expect(refused.reason == "this room name is reserved")
            }
            #expect(try await joinStatus("room:systems", nickname: "administrators").status == "ok")
        }
    }
}
