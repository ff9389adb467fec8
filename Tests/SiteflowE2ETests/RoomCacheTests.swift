import Foundation
import SiteflowApp
import SiteflowRealtime
import SiteflowRuntime
import SiteflowStore
import Testing

@Suite("Chat room caches are bounded and evicted")
struct RoomCacheTests {
    func message(_ id: Int64, room: String) -> ChatMessage {
        ChatMessage(id: id, room: room, nickname: "ann", body: "m\(id)", insertedAt: Date(timeIntervalSince1970: 0), idempotencyKey: nil)
    }

    @Test("past its cap the recent-history cache evicts the least recently used room, counted")
    func leastRecentlyUsedEviction() {
        let statistics = SocketStatistics()
        let recent = RecentMessages(depth: 10, maxRooms: 2, statistics: statistics)
        recent.load(room: "a", history: [message(1, room: "a")])
        recent.load(room: "b", history: [message(2, room: "b")])
        #expect(recent.latest(room: "a") != nil)  // a is now more recently used than b
        recent.load(room: "c", history: [message(3, room: "c")])
        #expect(recent.loadedRoomCount == 2)
        #expect(recent.latest(room: "b") == nil)
        #expect(recent.latest(room: "a")?.map(\.id) == [1])
        #expect(recent.latest(room: "c")?.map(\.id) == [3])
        #expect(statistics[.roomCacheEvictions] == 1)
        recent.evict(room: "a")
        recent.evict(room: "not loaded")
        #expect(recent.loadedRoomCount == 1)
        #expect(statistics[.roomCacheEvictions] == 2)
    }

    @Test("a message committed while a room's history is read from the store is in the cache once it is loaded (no gap for a resuming join)")
    func commitDuringLoad() {
        let recent = RecentMessages(depth: 3)
        recent.append(message(1, room: "a"))  // not loaded, nobody reading: the store read will have it
        #expect(recent.latest(room: "a") == nil)
        recent.beginLoad(room: "a")
        recent.beginLoad(room: "a")  // two joins read at once
        recent.append(message(5, room: "a"))  // committed after the reads began
        recent.load(room: "a", history: [message(1, room: "a")])  // the first read did not see it
        #expect(recent.latest(room: "a")?.map(\.id) == [1, 5])
        recent.append(message(6, room: "a"))
        recent.load(room: "a", history: [message(1, room: "a"), message(5, room: "a")])  // the second read
        #expect(recent.latest(room: "a")?.map(\.id) == [1, 5, 6])
        // A failed read keeps nothing aside.
        recent.beginLoad(room: "b")
        recent.cancelLoad(room: "b")
        recent.append(message(7, room: "b"))
        recent.load(room: "b", history: [])
        #expect(recent.latest(room: "b")?.map(\.id) == [])
    }

    @Test("when a room's last member leaves its cache is evicted (counted on /metrics); the next join reads the history from the store")
    func evictedWhenEmpty() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            defer { alice.close() }
            let joined = try await alice.join("room:brief", payload: ["nickname": "alice"])
            let ref = alice.push(joinRef: joined.joinRef, topic: "room:brief", event: "new_msg", payload: ["body": "kept in the store"])
            #expect(try await alice.reply(to: ref).payload["status"] == "ok")
            #expect(node.chat.recent.latest(room: "brief")?.map(\.body) == ["kept in the store"])

            let leave = alice.push(joinRef: joined.joinRef, topic: "room:brief", event: "phx_leave", payload: .emptyObject)
            _ = try await alice.reply(to: leave)
            let deadline = ContinuousClock.now + .seconds(10)
            while node.chat.recent.latest(room: "brief") != nil {
                guard ContinuousClock.now < deadline else { throw PhoenixTestClient.Failure.timedOut("the room's eviction") }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(node.endpoint.statistics[.roomCacheEvictions] == 1)

            let bob = try await PhoenixTestClient.connect(port: port)
            defer { bob.close() }
            _ = try await bob.join("room:brief", payload: ["nickname": "bob"])
            let history = try await bob.next("the history push") { $0.event == "history" }
            guard case .array(let messages)? = history.payload["messages"] else {
                Issue.record("no messages in \(history.payload)")
                return
            }
            #expect(messages.map { $0["body"] } == ["kept in the store"])
        }
    }

    @Test("a room whose last member's leave comes from another node is evicted; a connection dropped without phx_leave counts as a leave")
    func evictedWhenRemoteLeaveEmptiesIt() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            // Bob is in the room on another node: his join arrives as a presence delta.
            let remote = Presence(runtime: node.runtime, pubsub: PubSub(runtime: node.runtime), node: "elsewhere")
            let bob = try node.runtime.spawn(IdleProcess())
            defer { node.runtime.exit(bob.id, reason: .kill) }
            remote.track(bob.id, topic: "room:shared", key: "bob")
            node.chat.presence.merge(try #require(remote.takeDelta()))

            let alice = try await PhoenixTestClient.connect(port: port)
            let joined = try await alice.join("room:shared", payload: ["nickname": "alice"])
            let ref = alice.push(joinRef: joined.joinRef, topic: "room:shared", event: "new_msg", payload: ["body": "hello"])
            #expect(try await alice.reply(to: ref).payload["status"] == "ok")
            let deadline = ContinuousClock.now + .seconds(10)
            while node.chat.presence.list("room:shared")["alice"] == nil {
                guard ContinuousClock.now < deadline else { throw PhoenixTestClient.Failure.timedOut("alice's presence") }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(node.chat.recent.latest(room: "shared") != nil)

            // Alice's connection drops (no phx_leave): her presence goes, bob's stays, the cache stays.
            alice.close()
            while node.chat.presence.list("room:shared")["alice"] != nil {
                guard ContinuousClock.now < deadline else { throw PhoenixTestClient.Failure.timedOut("alice's leave") }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(node.chat.recent.latest(room: "shared") != nil, "bob is still in the room")
            #expect(node.endpoint.statistics[.roomCacheEvictions] == 0)

            // Bob leaves on his node: the leave merged here empties the room, and its cache goes.
            remote.untrack(bob.id, topic: "room:shared", key: "bob")
            node.chat.presence.merge(try #require(remote.takeDelta()))
            #expect(node.chat.presence.list("room:shared").isEmpty)
            #expect(node.chat.recent.latest(room: "shared") == nil)
            #expect(node.endpoint.statistics[.roomCacheEvictions] == 1)
        }
    }
}

/// A process that does nothing (stands for a remote node's channel process).
private struct IdleProcess: Behavior {
    func handle(_ message: Never, context: ProcessContext<Never>) {}
}
