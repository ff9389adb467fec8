import Foundation
import SiteflowApp
import SiteflowRealtime
import SiteflowStore
import Synchronization
import Testing
import SiteflowRuntimeTesting

@Suite("Nicknames are held by whoever claimed them (real node, real sockets)")
struct NicknameClaimTests {
    private static func joinStatus(_ client: PhoenixTestClient, _ topic: String, nickname: String,
                                   token: String? = nil) async throws -> (status: String?, reason: String?, token: String?) {
        var payload: [(key: String, value: JSONValue)] = [(key: "nickname", value: .string(nickname))]
        if let token { payload.append((key: "token", value: .string(token))) }
        let reply = try await client.join(topic, payload: .object(JSONObject(payload))).reply
        return (reply["status"]?.stringValue, reply["response"]?["reason"]?.stringValue, reply["response"]?["token"]?.stringValue)
    }

    /// Waits until `observer` sees `nickname` leave `topic`'s presence (its channel has ended).
    private static func awaitLeave(_ observer: PhoenixTestClient, _ nickname: String) async throws {
        _ = try await observer.next("\(nickname) to leave presence") {
            $0.event == "presence_diff" && $0.payload["leaves"]?[nickname] != nil
        }
    }

    @Test("another connection cannot join as a held nickname, in any letter case or room; it posts nothing as alice and presence shows one alice")
    func heldNicknameRefused() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let mallory = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); mallory.close() }
            let claimed = try await Self.joinStatus(alice, "room:lobby", nickname: "alice")
            #expect(claimed.status == "ok")
            #expect(claimed.token != nil, "the join reply carries the nickname's token")
            // The holding connection needs no token for its other rooms.
            #expect(try await Self.joinStatus(alice, "room:other", nickname: "alice").status == "ok")

            for (topic, name) in [("room:lobby", "alice"), ("room:lobby", "ALICE"), ("room:lobby", " Alice "), ("room:third", "alice")] {
                let refused = try await Self.joinStatus(mallory, topic, nickname: name)
                #expect(refused.status == "error", "\(topic) as '\(name)'")
                #expect(refused.reason == "nickname taken", "\(topic) as '\(name)'")
            }
            // A push on the refused topic is not a message from alice.
            let ref = mallory.push(joinRef: nil, topic: "room:lobby", event: "new_msg", payload: ["body": "I am alice"])
            #expect(try await mallory.reply(to: ref).payload["status"] == "error")
            #expect(try await node.store.history(room: "lobby", limit: 10, before: nil).messages.isEmpty)

            let observer = try await PhoenixTestClient.connect(port: port)
            defer { observer.close() }
            _ = try await observer.join("room:lobby", payload: ["nickname": "olga"])
            let state = try await observer.next("presence_state") { $0.event == "presence_state" }
            guard case .array(let metas)? = state.payload["alice"]?["metas"] else {
                Issue.record("alice is not in presence: \(state.payload)")
                return
            }
            #expect(metas.count == 1, "one alice in presence")
            #expect(state.payload["ALICE"] == nil && state.payload["Alice"] == nil)
        }
    }

    @Test("alice reconnecting with her token gets her nickname back; meanwhile nobody else can take it")
    func reconnectWithToken() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let observer = try await PhoenixTestClient.connect(port: port)
            let mallory = try await PhoenixTestClient.connect(port: port)
            defer { observer.close(); mallory.close() }
            _ = try await observer.join("room:lobby", payload: ["nickname": "olga"])
            let alice = try await PhoenixTestClient.connect(port: port)
            let token = try #require(try await Self.joinStatus(alice, "room:lobby", nickname: "alice").token)
            alice.close()
            try await Self.awaitLeave(observer, "alice")

            #expect(try await Self.joinStatus(mallory, "room:lobby", nickname: "alice").reason == "nickname taken")
            let back = try await PhoenixTestClient.connect(port: port)
            defer { back.close() }
            let rejoined = try await Self.joinStatus(back, "room:lobby", nickname: "alice", token: token)
            #expect(rejoined.status == "ok")
            #expect(rejoined.token != nil, "a rejoin gets a fresh token")
            // The fresh token is good for the same claim.
            let secondTab = try await PhoenixTestClient.connect(port: port)
            defer { secondTab.close() }
            #expect(try await Self.joinStatus(secondTab, "room:lobby", nickname: "Alice", token: rejoined.token).status == "ok")
        }
    }

    @Test("forged, tampered, garbage, other-nickname and expired tokens are refused with a clear reason")
    func badTokensRefused() async throws {
        let time = ManualClock()
        try await withNode(configure: { $0.nicknameClaims.clock = time; $0.nicknameClaims.tokenLifetime = .seconds(3600) }) { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let bob = try await PhoenixTestClient.connect(port: port)
            let mallory = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); bob.close(); mallory.close() }
            let token = try #require(try await Self.joinStatus(alice, "room:lobby", nickname: "alice").token)
            let bobToken = try #require(try await Self.joinStatus(bob, "room:lobby", nickname: "bob").token)

            let forged = TokenSigner(secret: Array(repeating: UInt8(7), count: 64), salt: "nickname claim", clock: time)
                .sign("anything\nalice")
            var parts = token.split(separator: ".").map(String.init)
            parts[0] = Base64URL.encode(Array("stolen\nalice".utf8))
            let tampered = parts.joined(separator: ".")
            for (what, bad) in [("garbage", "not-a-token"), ("empty", ""), ("forged", forged), ("tampered", tampered), ("bob's", bobToken)] {
                let refused = try await Self.joinStatus(mallory, "room:lobby", nickname: "alice", token: bad)
                #expect(refused.status == "error", "\(what) token")
                #expect(refused.reason == "invalid nickname token", "\(what) token")
            }
            // A good token still works from another connection, until it expires.
            let tab = try await PhoenixTestClient.connect(port: port)
            defer { tab.close() }
            #expect(try await Self.joinStatus(tab, "room:lobby", nickname: "alice", token: token).status == "ok")
            time.advance(by: .seconds(3601))
            let expired = try await Self.joinStatus(mallory, "room:lobby", nickname: "alice", token: token)
            #expect(expired.status == "error")
            #expect(expired.reason == "nickname token expired")
        }
    }

    @Test("a nickname nobody holds is released after the grace period, not before; then a new claim holds it against the old token")
    func releasedAfterGrace() async throws {
        let time = ManualClock()
        try await withNode(configure: { $0.nicknameClaims.clock = time; $0.nicknameClaims.grace = .seconds(60) }) { node in
            let port = try #require(node.port)
            let observer = try await PhoenixTestClient.connect(port: port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let bob = try await PhoenixTestClient.connect(port: port)
            defer { observer.close(); alice.close(); bob.close() }
            _ = try await observer.join("room:lobby", payload: ["nickname": "olga"])
            let joined = try await alice.join("room:lobby", payload: ["nickname": "alice"])
            let token = try #require(joined.reply["response"]?["token"]?.stringValue)
            let leave = alice.push(joinRef: joined.joinRef, topic: "room:lobby", event: "phx_leave", payload: .emptyObject)
            _ = try await alice.reply(to: leave)
            try await Self.awaitLeave(observer, "alice")

            time.advance(by: .seconds(59))
            #expect(try await Self.joinStatus(bob, "room:lobby", nickname: "alice").reason == "nickname taken", "still within the grace period")
            time.advance(by: .seconds(1))
            let taken = try await Self.joinStatus(bob, "room:lobby", nickname: "alice")
            #expect(taken.status == "ok", "released after the grace period")
            #expect(try await Self.joinStatus(alice, "room:lobby", nickname: "alice", token: token).reason == "nickname taken",
                    "the old claim's token does not take it back from the new holder")
        }
    }

    @Test("a token outlives a node restart: presented to a node with the same secret key, it claims the free nickname again")
    func tokenSurvivesRestart() async throws {
        let key = try SecretKey(bytes: Array("a test secret key of at least thirty-two bytes".utf8))
        let token = try await withNode(configure: { $0.secretKey = key }) { node in
            let client = try await PhoenixTestClient.connect(port: try #require(node.port))
            defer { client.close() }
            return try #require(try await Self.joinStatus(client, "room:lobby", nickname: "alice").token)
        }
        try await withNode(configure: { $0.secretKey = key }) { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let mallory = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); mallory.close() }
            #expect(try await Self.joinStatus(alice, "room:lobby", nickname: "alice", token: token).status == "ok")
            #expect(try await Self.joinStatus(mallory, "room:lobby", nickname: "alice").reason == "nickname taken")
        }
        try await withNode { node in
            let client = try await PhoenixTestClient.connect(port: try #require(node.port))
            defer { client.close() }
            #expect(try await Self.joinStatus(client, "room:lobby", nickname: "alice", token: token).reason == "invalid nickname token",
                    "another secret key does not accept it")
        }
    }

    @Test("held nicknames survive a node restart (same database and key): the holder's token gets it back, nobody else can take it")
    func claimsSurviveRestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-claims-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = try SecretKey(bytes: Array("a test secret key of at least thirty-two bytes".utf8))
        let configure: (inout NodeConfiguration) -> Void = { configuration in
            configuration.database = .sqlite(path: folder.appendingPathComponent("chat.db").path)
            configuration.secretKey = key
        }
        let token = try await withNode(configure: configure) { node in
            let client = try await PhoenixTestClient.connect(port: try #require(node.port))
            defer { client.close() }
            let token = try #require(try await Self.joinStatus(client, "room:lobby", nickname: "Alice").token)
            // The claim is written through off the join path, by the writer process: wait for it.
            await node.chat.claims.flush()
            #expect(try await node.store.nicknameClaims().contains { $0.key == "alice" })
            return token
        }
        try await withNode(configure: configure) { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let mallory = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); mallory.close() }
            #expect(try await Self.joinStatus(mallory, "room:lobby", nickname: "alice").reason == "nickname taken",
                    "the restarted node still holds alice's nickname")
            #expect(try await Self.joinStatus(alice, "room:lobby", nickname: "Alice", token: token).status == "ok")
        }
    }

    @Test("the registry is bounded per connection and per node; refusals say why and are counted on /metrics")
    func registryBounded() async throws {
        try await withNode(configure: { $0.nicknameClaims.maxClaims = 3; $0.nicknameClaims.maxPerConnection = 2 }) { node in
            let port = try #require(node.port)
            let first = try await PhoenixTestClient.connect(port: port)
            let second = try await PhoenixTestClient.connect(port: port)
            defer { first.close(); second.close() }
            #expect(try await Self.joinStatus(first, "room:a", nickname: "n1").status == "ok")
            #expect(try await Self.joinStatus(first, "room:b", nickname: "n2").status == "ok")
            #expect(try await Self.joinStatus(first, "room:c", nickname: "n1").status == "ok", "a nickname it holds costs nothing more")
            #expect(try await Self.joinStatus(first, "room:d", nickname: "n3").reason == "too many nicknames on this connection")
            #expect(try await Self.joinStatus(second, "room:a", nickname: "n3").status == "ok")
            #expect(try await Self.joinStatus(second, "room:b", nickname: "n4").reason == "too many nicknames held on this server; try again later")
            #expect(node.chat.claims.count == 3)
            #expect(node.endpoint.statistics[.nicknameClaimLimitRefusals] == 2)
            let metrics = try await httpGet(port: port, path: "/metrics", headers: [("Authorization", "Bearer \(node.admin.token)")]).body
            #expect(metrics.contains(#"siteflow_socket_events_total{event="nicknameClaimLimitRefusals"} 2"#))
        }
    }

    @Test("an idempotency key belongs to its sender's identity: mallory can neither send as alice nor have alice's key answer her")
    func idempotencyKeyScopedToIdentity() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let mallory = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); mallory.close() }
            let aliceJoin = try await alice.join("room:lobby", payload: ["nickname": "alice"])
            #expect(try await Self.joinStatus(mallory, "room:lobby", nickname: "alice").reason == "nickname taken")
            let malloryJoin = try await mallory.join("room:lobby", payload: ["nickname": "mallory"])
            #expect(malloryJoin.reply["status"] == "ok")

            func send(_ client: PhoenixTestClient, _ joinRef: String, _ body: String) async throws -> Int64? {
                let ref = client.push(joinRef: joinRef, topic: "room:lobby", event: "new_msg", payload: ["body": .string(body), "key": "K"])
                return try await client.reply(to: ref).payload["response"]?["id"]?.intValue
            }
            let malloryID = try #require(try await send(mallory, malloryJoin.joinRef, "mallory's"))
            let aliceID = try #require(try await send(alice, aliceJoin.joinRef, "alice's"))
            #expect(aliceID != malloryID, "mallory's key does not answer alice's message")
            #expect(try await send(alice, aliceJoin.joinRef, "alice's, retried") == aliceID, "alice's retry is answered with her own id")
            let stored = try await node.store.history(room: "lobby", limit: 10, before: nil).messages
            #expect(stored.map(\.nickname) == ["mallory", "alice"])
            #expect(stored.map(\.body) == ["mallory's", "alice's"])
        }
    }
}
