import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SiteflowApp
import SiteflowLoadTestServer
import SiteflowRealtime
import SiteflowStore
import Testing

/// Starts a node on a free port with its own SQLite file (`configure` may change the rest of its
/// configuration); stops it and deletes the file after.
func withNode<R>(benchTopics: Bool = false, configure: (inout NodeConfiguration) -> Void = { _ in },
                 _ body: (SiteflowNode) async throws -> R) async throws -> R {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var configuration = NodeConfiguration(port: 0, database: .sqlite(path: folder.appendingPathComponent("chat.db").path), runsDigestJob: false)
    if benchTopics {
        configuration.channels = { router in router.channel("bench:*") { BroadcastChannel() } }
    }
    configure(&configuration)
    let node = try await SiteflowNode.start(configuration)
    do {
        let result = try await body(node)
        await node.stop()
        return result
    } catch {
        await node.stop()
        throw error
    }
}

@Suite("The chat app over real sockets")
struct ChatNodeTests {
    @Test("a message is acknowledged after it is committed, broadcast to the room, and in the next join's history")
    func messageRoundTrip() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let bob = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); bob.close() }
            let aliceJoin = try await alice.join("room:lobby", payload: ["nickname": "alice"])
            #expect(aliceJoin.reply["status"] == "ok")
            #expect(aliceJoin.reply["response"]?["nickname"] == "alice")
            _ = try await bob.join("room:lobby", payload: ["nickname": "bob"])

            let ref = alice.push(joinRef: aliceJoin.joinRef, topic: "room:lobby", event: "new_msg", payload: ["body": "hello"])
            let ack = try await alice.reply(to: ref)
            #expect(ack.payload["status"] == "ok")
            let id = try #require(ack.payload["response"]?["id"]?.intValue)
            let broadcast = try await bob.next("bob to get alice's message") { $0.event == "new_msg" }
            #expect(broadcast.payload["body"] == "hello")
            #expect(broadcast.payload["nickname"] == "alice")
            #expect(broadcast.payload["id"]?.intValue == id)

            let stored = try await node.store.history(room: "lobby", limit: 10, before: nil)
            #expect(stored.messages.map(\.id) == [id], "acknowledged means committed")

            let carol = try await PhoenixTestClient.connect(port: port)
            defer { carol.close() }
            let carolJoin = try await carol.join("room:lobby", payload: ["nickname": "carol"])
            guard case .array(let history)? = carolJoin.reply["response"]?["messages"] else {
                Issue.record("the join reply has no messages: \(carolJoin.reply)")
                return
            }
            #expect(history.map { $0["body"] } == ["hello"])
        }
    }

    @Test("a sender's messages pushed back to back are stored, broadcast and acknowledged in the order sent")
    func senderOrder() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            let bob = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); bob.close() }
            let aliceJoin = try await alice.join("room:order", payload: ["nickname": "alice"])
            _ = try await bob.join("room:order", payload: ["nickname": "bob"])
            let count = 60
            let refs = (0..<count).map { index in
                alice.push(joinRef: aliceJoin.joinRef, topic: "room:order", event: "new_msg", payload: ["body": .string("m\(index)")])
            }
            var ackedIDs: [Int64] = []
            for ref in refs {
                let ack = try await alice.reply(to: ref)
                ackedIDs.append(try #require(ack.payload["response"]?["id"]?.intValue))
            }
            #expect(zip(ackedIDs, ackedIDs.dropFirst()).allSatisfy { $0 < $1 }, "ids in the order sent: \(ackedIDs)")
            var received: [String] = []
            var receivedIDs: [Int64] = []
            while received.count < count {
                let frame = try await bob.next("bob to get message \(received.count)") { $0.event == "new_msg" }
                received.append(frame.payload["body"]?.stringValue ?? "?")
                receivedIDs.append(frame.payload["id"]?.intValue ?? -1)
            }
            #expect(received == (0..<count).map { "m\($0)" })
            #expect(receivedIDs == ackedIDs)
            let stored = try await node.store.history(room: "order", limit: count, before: nil)
            #expect(stored.messages.map(\.body) == received)
        }
    }

    @Test("presence: a joiner gets presence_state and the others get a presence_diff with its nickname")
    func presence() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            defer { alice.close() }
            _ = try await alice.join("room:presence", payload: ["nickname": "alice"])
            _ = try await alice.next("alice's presence_state") { $0.event == "presence_state" }
            let bob = try await PhoenixTestClient.connect(port: port)
            _ = try await bob.join("room:presence", payload: ["nickname": "bob"])
            let state = try await bob.next("bob's presence_state") { $0.event == "presence_state" }
            #expect(state.payload["alice"]?["metas"] != nil)
            let joined = try await alice.next("bob joining") { $0.event == "presence_diff" && $0.payload["joins"]?["bob"] != nil }
            #expect(joined.payload["leaves"] == .emptyObject)
            bob.close()
            let left = try await alice.next("bob leaving") { $0.event == "presence_diff" && $0.payload["leaves"]?["bob"] != nil }
            #expect(left.payload["joins"] == .emptyObject)
        }
    }

    @Test("bad input gets error replies and the socket lives on: bad room, bad nickname, empty and oversized bodies, unknown events, malformed frames")
    func badInput() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let client = try await PhoenixTestClient.connect(port: port)
            defer { client.close() }
            let badRoom = try await client.join("room:no spaces allowed", payload: ["nickname": "x"])
            #expect(badRoom.reply["status"] == "error")
            let badNick = try await client.join("room:ok", payload: ["nickname": .string(String(repeating: "n", count: 100))])
            #expect(badNick.reply["status"] == "error")
            let joined = try await client.join("room:ok", payload: ["nickname": "tester"])
            #expect(joined.reply["status"] == "ok")

            func expectError(_ payload: JSONValue, event: String = "new_msg") async throws -> JSONValue? {
                let ref = client.push(joinRef: joined.joinRef, topic: "room:ok", event: event, payload: payload)
                let reply = try await client.reply(to: ref)
                #expect(reply.payload["status"] == "error", "\(event) \(payload) should be refused")
                return reply.payload["response"]?["reason"]
            }
            _ = try await expectError(["body": "   "])
            _ = try await expectError(["body": 42])
            let tooLong = try await expectError(["body": .string(String(repeating: "x", count: 5_000))])
            #expect(tooLong != nil)
            _ = try await expectError([:], event: "no_such_event")
            // Frames that cannot be answered (no ref to reply to) close only their own connection,
            // with a reason; everyone else carries on.
            for garbage in ["{not json", "[1,2,3]", "\"just a string\""] {
                let vandal = try await PhoenixTestClient.connect(port: port)
                vandal.sendRaw(garbage)
                do {
                    _ = try await vandal.next("the close") { _ in false }
                    Issue.record("\(garbage) did not close the connection")
                } catch PhoenixTestClient.Failure.closed(let code, let reason) {
                    #expect(code != nil && !reason.isEmpty, "\(garbage): closed with code \(String(describing: code)) and reason '\(reason)'")
                }
                vandal.close()
            }
            let stillAlive = client.push(joinRef: joined.joinRef, topic: "room:ok", event: "new_msg", payload: ["body": "after the garbage"])
            #expect(try await client.reply(to: stillAlive).payload["status"] == "ok")
            let stored = try await node.store.history(room: "ok", limit: 10, before: nil)
            #expect(stored.messages.map(\.body) == ["after the garbage"], "nothing refused reached the store")
        }
    }

    @Test("history pages back with a cursor")
    func historyPaging() async throws {
        try await withNode { node in
            for index in 1...60 {
                _ = try await node.chat.writer.write(NewMessage(room: "paging", nickname: "seed", body: "m\(index)"))
            }
            let port = try #require(node.port)
            let client = try await PhoenixTestClient.connect(port: port)
            defer { client.close() }
            let joined = try await client.join("room:paging", payload: ["nickname": "reader"])
            var latest: [JSONValue] = []
            if case .array(let messages)? = joined.reply["response"]?["messages"], !messages.isEmpty {
                latest = messages
            } else {
                let pushed = try await client.next("the history push") { $0.event == "history" }
                if case .array(let messages)? = pushed.payload["messages"] { latest = messages }
            }
            #expect(latest.count == 50)
            #expect(latest.last?["body"] == "m60")
            let oldest = try #require(latest.first?["id"]?.intValue)
            let ref = client.push(joinRef: joined.joinRef, topic: "room:paging", event: "history", payload: ["before": .int(oldest)])
            let page = try await client.reply(to: ref)
            guard case .array(let older)? = page.payload["response"]?["messages"] else {
                Issue.record("no messages in \(page.payload)")
                return
            }
            #expect(older.map { $0["body"] } == (1...10).map { .string("m\($0)") })
        }
    }

    @Test("bench:* topics broadcast every new_msg to all members when enabled, and do not exist otherwise")
    func benchTopics() async throws {
        try await withNode(benchTopics: true) { node in
            let port = try #require(node.port)
            let first = try await PhoenixTestClient.connect(port: port)
            let second = try await PhoenixTestClient.connect(port: port)
            defer { first.close(); second.close() }
            let joined = try await first.join("bench:load")
            #expect(joined.reply["status"] == "ok")
            #expect(try await second.join("bench:load").reply["status"] == "ok")
            let ref = first.push(joinRef: joined.joinRef, topic: "bench:load", event: "new_msg", payload: ["n": 7])
            #expect(try await first.reply(to: ref).payload["status"] == "ok")
            let received = try await second.next("the broadcast") { $0.event == "new_msg" }
            #expect(received.payload["n"] == 7)
        }
        try await withNode { node in
            let client = try await PhoenixTestClient.connect(port: try #require(node.port))
            defer { client.close() }
            let refused = try await client.join("bench:load")
            #expect(refused.reply["response"]?["reason"] == "unmatched topic")
        }
    }

    @Test("a corrupt or unwritable SQLite path fails at start with a clear error, and the port is not taken")
    func badDatabaseFailsAtStart() async throws {
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-corrupt-\(UUID().uuidString).db")
        try Data("this is not a database, it is a sentence".utf8).write(to: corrupt)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        for path in [corrupt.path, "/nonexistent-siteflow-folder/chat.db"] {
            do {
                let node = try await SiteflowNode.start(NodeConfiguration(port: 0, database: .sqlite(path: path), runsDigestJob: false))
                await node.stop()
                Issue.record("\(path) opened")
            } catch let error as StoreError {
                #expect(error.reason.contains(path), "the error names the path: \(error.reason)")
            }
        }
    }

    @Test("the dashboard data and the metrics are served next to the chat")
    func dashboardAndMetrics() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let bearer = [("Authorization", "Bearer \(node.admin.token)")]
            let metrics = try await httpGet(port: port, path: "/metrics", headers: bearer)
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("siteflow_processes "))
            #expect(metrics.body.contains("siteflow_sockets "))
            let data = try await httpGet(port: port, path: "/dashboard/data", headers: bearer)
            #expect(data.status == 200)
            #expect(data.body.contains("\"Runtime\""))
            let page = try await httpGet(port: port, path: "/dashboard/", headers: bearer)
            #expect(page.body.contains("<title>Siteflow dashboard</title>"))
            let chat = try await httpGet(port: port, path: "/")
            #expect(chat.status == 200)
        }
    }

    @Test("two real browsers chat, see each other online and typing, and find the history after a reload")
    func browsers() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            try await PythonScript(name: "browser_chat.py").run(["http://127.0.0.1:\(port)/", "browsers"])
        }
    }

    @Test("the official phoenix.js, unmodified, falls back to long-polling when WebSockets are blocked and chats with a WebSocket peer, in a real browser")
    func phoenixJavaScriptClient() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            try await PythonScript(name: "phoenix_js_client.py").run(["http://127.0.0.1:\(port)/", "room:phoenix-js"])
        }
    }

    @Test("an unmodified third-party Phoenix client joins over V2 and V1, follows presence and receives broadcasts")
    func phoenixClientInterop() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            try await PythonScript(name: "phoenix_client_interop.py").run(["ws://127.0.0.1:\(port)/socket/websocket", "room:interop"])
        }
    }
}

/// An HTTP GET to the node, with its status and body as text.
func httpGet(port: Int, path: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
    let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
    var request = URLRequest(url: url)
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    return (status, String(decoding: data, as: UTF8.self))
}
