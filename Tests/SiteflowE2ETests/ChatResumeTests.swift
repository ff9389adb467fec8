import Foundation
import SiteflowApp
import SiteflowRealtime
import SiteflowStore
import Testing

/// A client that comes back resumes from the last message it saw: the join (and later history
/// pages) answer with the messages after that id, oldest first, a page at a time, over a real
/// socket and a real SQLite file (issue 12, item 2).
@Suite("The chat resumes after the last message seen")
struct ChatResumeTests {
    private static func ids(_ value: JSONValue?) -> [Int64] {
        guard case .array(let messages)? = value else { return [] }
        return messages.compactMap { $0["id"]?.intValue }
    }

    /// Sends `count` messages as the joined `client` and returns their ids, in order.
    private static func send(_ count: Int, from client: PhoenixTestClient, joinRef: String, topic: String) async throws -> [Int64] {
        var ids: [Int64] = []
        for index in 0..<count {
            let ref = client.push(joinRef: joinRef, topic: topic, event: "new_msg", payload: ["body": .string("m\(index)")])
            let ack = try await client.reply(to: ref)
            ids.append(try #require(ack.payload["response"]?["id"]?.intValue))
        }
        return ids
    }

    @Test("a join with after gets the messages after that id, one page at a time with a more flag; the rest comes with history after")
    func joinAfter() async throws {
        try await withNode(configure: { $0.historyPageSize = 5 }) { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            defer { alice.close() }
            let aliceJoin = try await alice.join("room:resume", payload: ["nickname": "alice"])
            let sent = try await Self.send(8, from: alice, joinRef: aliceJoin.joinRef, topic: "room:resume")

            // Missed 7 messages, more than the 5 the room's cache holds: the join answers at once
            // with none and more = true; the client's history request reads a page from the store.
            let bob = try await PhoenixTestClient.connect(port: port)
            defer { bob.close() }
            let bobJoin = try await bob.join("room:resume", payload: ["nickname": "bob", "after": .int(sent[0])])
            #expect(bobJoin.reply["status"] == "ok")
            #expect(Self.ids(bobJoin.reply["response"]?["messages"]) == [])
            #expect(bobJoin.reply["response"]?["more"] == .bool(true))
            let first = bob.push(joinRef: bobJoin.joinRef, topic: "room:resume", event: "history", payload: ["after": .int(sent[0])])
            let firstReply = try await bob.reply(to: first)
            #expect(Self.ids(firstReply.payload["response"]?["messages"]) == Array(sent[1...5]))
            #expect(firstReply.payload["response"]?["more"] == .bool(true))
            // The rest.
            let rest = bob.push(joinRef: bobJoin.joinRef, topic: "room:resume", event: "history", payload: ["after": .int(sent[5])])
            let restReply = try await bob.reply(to: rest)
            #expect(restReply.payload["status"] == "ok")
            #expect(Self.ids(restReply.payload["response"]?["messages"]) == Array(sent[6...7]))
            #expect(restReply.payload["response"]?["more"] == .bool(false))

            // Missed 2, within the cache: in the join reply itself, with more = false.
            let carol = try await PhoenixTestClient.connect(port: port)
            defer { carol.close() }
            let carolJoin = try await carol.join("room:resume", payload: ["nickname": "carol", "after": .int(sent[5])])
            #expect(Self.ids(carolJoin.reply["response"]?["messages"]) == Array(sent[6...7]))
            #expect(carolJoin.reply["response"]?["more"] == .bool(false))

            // Up to date: nothing.
            let dave = try await PhoenixTestClient.connect(port: port)
            defer { dave.close() }
            let daveJoin = try await dave.join("room:resume", payload: ["nickname": "dave", "after": .int(sent[7])])
            #expect(Self.ids(daveJoin.reply["response"]?["messages"]) == [])
            #expect(daveJoin.reply["response"]?["more"] == .bool(false))

            // A message sent after the resume reaches everyone live, once.
            let later = try await Self.send(1, from: alice, joinRef: aliceJoin.joinRef, topic: "room:resume")
            let live = try await carol.next("the live message") { $0.event == "new_msg" }
            #expect(live.payload["id"]?.intValue == later[0])
        }
    }

    @Test("an after that is not a message id refuses the join (holding nothing) and the history push, with a clear reason")
    func badAfter() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let client = try await PhoenixTestClient.connect(port: port)
            defer { client.close() }
            for bad: JSONValue in ["12", .int(-1), .double(1.5), .bool(true), ["id": 3]] {
                let refused = try await client.join("room:bad-after", payload: ["nickname": "erin", "after": bad])
                #expect(refused.reply["status"] == "error")
                #expect(refused.reply["response"]?["reason"] == .string(ChatResumePage.invalidAfterReason))
            }
            // The refusals held no nickname; a null after is no after.
            let joined = try await client.join("room:bad-after", payload: ["nickname": "erin", "after": .null])
            #expect(joined.reply["status"] == "ok")
            for bad: JSONValue in ["x", .int(-5)] {
                let ref = client.push(joinRef: joined.joinRef, topic: "room:bad-after", event: "history", payload: ["after": bad])
                let reply = try await client.reply(to: ref)
                #expect(reply.payload["status"] == "error")
                #expect(reply.payload["response"]?["reason"] == .string(ChatResumePage.invalidAfterReason))
            }
        }
    }

    @Test("a message retried with its key after a lost acknowledgement is stored once and acknowledged with the first id")
    func retriedKey() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            defer { alice.close() }
            let join = try await alice.join("room:retry", payload: ["nickname": "alice"])
            let message: JSONValue = ["body": "only once", "key": "lq2x8k3c-4f9a2b-00000001"]
            let first = try await alice.reply(to: alice.push(joinRef: join.joinRef, topic: "room:retry", event: "new_msg", payload: message))
            let id = try #require(first.payload["response"]?["id"]?.intValue)
            let token = try #require(join.reply["response"]?["token"])
            // The page did not get that acknowledgement (say the socket closed): it comes back and sends again.
            alice.close()
            let again = try await PhoenixTestClient.connect(port: port)
            defer { again.close() }
            let rejoin = try await again.join("room:retry", payload: ["nickname": "alice", "token": token, "after": .int(id - 1)])
            // The room's cache went with its last member (unless the rejoin came first): then the
            // reply says more, and the page after the id comes from the store.
            var resumed = Self.ids(rejoin.reply["response"]?["messages"])
            if rejoin.reply["response"]?["more"] == .bool(true) {
                let page = again.push(joinRef: rejoin.joinRef, topic: "room:retry", event: "history", payload: ["after": .int(id - 1)])
                resumed += Self.ids(try await again.reply(to: page).payload["response"]?["messages"])
            }
            #expect(resumed == [id], "the message is there: it was committed, only its acknowledgement was lost")
            let retry = try await again.reply(to: again.push(joinRef: rejoin.joinRef, topic: "room:retry", event: "new_msg", payload: message))
            #expect(retry.payload["status"] == "ok")
            #expect(retry.payload["response"]?["id"]?.intValue == id)
            let stored = try await node.store.history(room: "retry", limit: 10, after: 0).messages
            #expect(stored.map(\.id) == [id])
            #expect(stored.map(\.body) == ["only once"])
        }
    }
}
