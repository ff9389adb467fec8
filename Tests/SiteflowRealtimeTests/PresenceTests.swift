import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
import Synchronization
import Testing

@Suite("Presence: Phoenix encoding, process death, AWOR-set CRDT merges")
struct PresenceTests {
    func entry(_ key: String, _ topic: String = "room:a") -> PresenceEntry {
        PresenceEntry(topic: topic, key: key, owner: "x", meta: JSONObject([(key: "phx_ref", value: .string(key))]))
    }

    @Test("track, update and untrack broadcast presence_diff exactly as Phoenix encodes it")
    func diffs() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let pubsub = PubSub(runtime: runtime)
        let presence = Presence(runtime: runtime, pubsub: pubsub, node: "n1")
        let listener = try TestProbe<JSONValue>(runtime: runtime)
        pubsub.subscribe(listener.pid, to: "room:a") { $0.payload.json ?? nil }
        let user = try TestProbe<String>(runtime: runtime)

        let ref = presence.track(user.pid.id, topic: "room:a", key: "alice", meta: JSONObject([(key: "device", value: "phone")]))
        #expect(try await listener.next() == ["joins": ["alice": ["metas": [["phx_ref": .string(ref), "device": "phone"]]]], "leaves": [:]])
        #expect(presence.state(of: "room:a") == ["alice": ["metas": [["phx_ref": .string(ref), "device": "phone"]]]])

        let newRef = try #require(presence.update(user.pid.id, topic: "room:a", key: "alice", meta: JSONObject([(key: "device", value: "laptop")])))
        #expect(newRef != ref)
        #expect(try await listener.next() == [
            "joins": ["alice": ["metas": [["phx_ref": .string(newRef), "phx_ref_prev": .string(ref), "device": "laptop"]]]],
            "leaves": ["alice": ["metas": [["phx_ref": .string(ref), "device": "phone"]]]],
        ])

        presence.untrack(user.pid.id, topic: "room:a", key: "alice")
        #expect(try await listener.next() == [
            "joins": [:],
            "leaves": ["alice": ["metas": [["phx_ref": .string(newRef), "phx_ref_prev": .string(ref), "device": "laptop"]]]],
        ])
        #expect(presence.state(of: "room:a") == [:])
    }

    @Test("an entry disappears, with a leaves diff, when its tracking process dies")
    func ownerDeath() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let pubsub = PubSub(runtime: runtime)
        let presence = Presence(runtime: runtime, pubsub: pubsub, node: "n1")
        let listener = try TestProbe<JSONValue>(runtime: runtime)
        pubsub.subscribe(listener.pid, to: "room:a") { $0.payload.json ?? nil }
        let user = try TestProbe<String>(runtime: runtime)
        let ref = presence.track(user.pid.id, topic: "room:a", key: "bob")
        _ = try await listener.next()
        runtime.exit(user.pid.id, reason: .kill)
        #expect(try await listener.next() == ["joins": [:], "leaves": ["bob": ["metas": [["phx_ref": .string(ref)]]]]])
        #expect(presence.list("room:a").isEmpty)
    }

    @Test("a channel pushes presence_state after join; other clients see the presence_diff")
    func channelPresence() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let watcher = try harness.connect()
        watcher.send(#"["1","1","presence:lobby","phx_join",{}]"#)
        _ = try await watcher.nextJSON()
        let ownState = try await watcher.nextJSON()
        let ownDiff = try await watcher.nextJSON()
        guard case .array(let stateFrame) = ownState, case .array(let diffFrame) = ownDiff else {
            Issue.record("expected arrays")
            return
        }
        let events = Set([stateFrame[3], diffFrame[3]])
        #expect(events == ["presence_state", "presence_diff"])

        let alice = try harness.connect(params: ["user": "alice"])
        alice.send(#"["1","1","presence:lobby","phx_join",{}]"#)
        _ = try await alice.nextJSON()
        let diff = try await watcher.nextJSON()
        guard case .array(let elements) = diff else {
            Issue.record("expected an array")
            return
        }
        #expect(elements[3] == "presence_diff")
        #expect(elements[4]["joins"]?["alice"]?["metas"] != nil)
        #expect(elements[4]["leaves"] == [:])

        alice.session.transportClosed(code: .normal, reason: "gone")
        let leave = try await watcher.nextJSON()
        guard case .array(let leaveElements) = leave else {
            Issue.record("expected an array")
            return
        }
        #expect(leaveElements[4]["leaves"]?["alice"] != nil)
    }

    @Test("replicas converge whatever the order of merges, and merging twice changes nothing")
    func convergence() {
        var a = PresenceSet(replica: "a")
        var b = PresenceSet(replica: "b")
        let (dotA, deltaA) = a.add(entry("alice"))
        let (_, deltaB) = b.add(entry("bob"))
        b.merge(deltaA)
        a.merge(deltaB)
        #expect(a == b)
        let removeA = a.remove(dotA)
        b.merge(removeA)
        b.merge(removeA)
        b.merge(deltaA)  // an old delta arriving late does not resurrect the entry
        #expect(b.entries.values.map(\.key) == ["bob"])
        a.merge(b)
        #expect(a == b)
    }

    @Test("add wins: a re-add concurrent with a remove survives the merge")
    func addWins() {
        var a = PresenceSet(replica: "a")
        var b = PresenceSet(replica: "b")
        let (dot, delta) = a.add(entry("alice"))
        b.merge(delta)
        let removal = b.remove(dot)  // b removes what it saw
        let (_, readd) = a.add(entry("alice"))  // a concurrently adds alice again (a new dot)
        a.merge(removal)
        b.merge(readd)
        #expect(a == b)
        #expect(a.entries.values.map(\.key) == ["alice"])
    }

    @Test("a merge reports the joins and leaves it caused, and a down node's entries can be purged")
    func mergeReportsDiff() {
        var a = PresenceSet(replica: "a")
        var b = PresenceSet(replica: "b")
        let (dot, delta) = a.add(entry("alice"))
        let joined = b.merge(delta)
        #expect(joined.joins.values.map(\.key) == ["alice"])
        let left = b.merge(a.remove(dot))
        #expect(left.leaves.values.map(\.key) == ["alice"])
        _ = a.add(entry("carol"))
        b.merge(a)
        #expect(b.removeReplica("a").values.map(\.key) == ["carol"])
        #expect(b.entries.isEmpty)
    }

    @Test("presences are indexed by topic through every change, so a topic's listing and each local add or remove cost that topic's or that entry's share, not the whole set's")
    func topicIndex() {
        var set = PresenceSet(replica: "a")
        var pending = PresenceSet(replica: "a")
        var dots: [Dot] = []
        for index in 0..<1_000 {
            let (dot, _) = set.add(PresenceEntry(topic: "room:\(index % 10)", key: "u\(index)", owner: "a/\(index)", meta: JSONObject()))
            pending.absorbAddition(dot, set.entries[dot] ?? PresenceEntry(topic: "", key: "", owner: "", meta: JSONObject()))
            dots.append(dot)
        }
        #expect(set.dotsByTopic.count == 10)
        #expect(set.dotsByTopic["room:3"]?.count == 100)
        #expect(set.entries(of: "room:3").map(\.entry.key) == (0..<100).map { "u\($0 * 10 + 3)" })
        for dot in dots where ((dot.counter - 1) / 10) % 2 == 0 {  // half of each topic
            set.remove(dot)
            pending.absorbRemoval(dot)
        }
        #expect(set.dotsByTopic["room:3"]?.count == 50)
        #expect(set.entries(of: "room:3").count == 50)
        #expect(pending == set, "the accumulated delta holds what the set holds")
        #expect(pending.dotsByTopic == set.dotsByTopic)
        // A merge and a purge keep the index too.
        var other = PresenceSet(replica: "b")
        other.merge(set)
        #expect(other.dotsByTopic == set.dotsByTopic)
        _ = other.removeReplica("a")
        #expect(other.dotsByTopic.isEmpty && other.entries.isEmpty)
        // The O(1) accumulation matches the general one.
        var general = PresenceSet(replica: "a")
        var fast = PresenceSet(replica: "a")
        var source = PresenceSet(replica: "a")
        let (first, addition) = source.add(entry("alice"))
        general.absorb(addition)
        fast.absorbAddition(first, entry("alice"))
        general.absorb(source.remove(first))
        fast.absorbRemoval(first)
        #expect(general == fast)
        #expect(general.context == fast.context)
    }

    @Test("deltas accumulated by the presence service replicate to another node")
    func serviceDeltas() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let pubsub = PubSub(runtime: runtime)
        let one = Presence(runtime: runtime, pubsub: pubsub, node: "one")
        let two = Presence(runtime: runtime, pubsub: PubSub(runtime: runtime), node: "two")
        let user = try TestProbe<String>(runtime: runtime)
        one.track(user.pid.id, topic: "room:a", key: "alice")
        one.track(user.pid.id, topic: "room:a", key: "bob")
        one.untrack(user.pid.id, topic: "room:a", key: "bob")
        let delta = try #require(one.takeDelta())
        #expect(one.takeDelta() == nil)
        two.merge(delta)
        #expect(two.list("room:a").keys.sorted() == ["alice"])
        #expect(two.state(of: "room:a") == one.state(of: "room:a"))
    }

    @Test("a topic emptied by a leave merged from another node, or by that node found down, is reported like a local leave")
    func remoteLeavesReportEmptiedTopics() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let one = Presence(runtime: runtime, pubsub: PubSub(runtime: runtime), node: "one")
        let two = Presence(runtime: runtime, pubsub: PubSub(runtime: runtime), node: "two")
        let emptied = Mutex<[String]>([])
        two.whenTopicEmpties { topic in emptied.withLock { $0.append(topic) } }
        let user = try TestProbe<String>(runtime: runtime)
        let local = try TestProbe<String>(runtime: runtime)

        // room:a: alice (node one) and carol (node two); alice's leave arrives as a delta.
        one.track(user.pid.id, topic: "room:a", key: "alice")
        one.track(user.pid.id, topic: "room:b", key: "bob")
        two.track(local.pid.id, topic: "room:a", key: "carol")
        two.merge(try #require(one.takeDelta()))
        one.untrack(user.pid.id, topic: "room:a", key: "alice")
        two.merge(try #require(one.takeDelta()))
        #expect(two.list("room:a").keys.sorted() == ["carol"])
        #expect(emptied.withLock { $0 }.isEmpty, "carol is still in room:a")

        // carol leaves locally: room:a is empty now.
        two.untrack(local.pid.id, topic: "room:a", key: "carol")
        #expect(emptied.withLock { $0 } == ["room:a"])

        // bob's leave merged from node one empties room:b.
        one.untrack(user.pid.id, topic: "room:b", key: "bob")
        two.merge(try #require(one.takeDelta()))
        #expect(two.list("room:b").isEmpty)
        #expect(emptied.withLock { $0 } == ["room:a", "room:b"])

        // Node one found down: the rooms only it had are reported.
        one.track(user.pid.id, topic: "room:c", key: "dave")
        one.track(user.pid.id, topic: "room:d", key: "erin")
        two.track(local.pid.id, topic: "room:d", key: "frank")
        two.merge(try #require(one.takeDelta()))
        two.removeNode("one")
        #expect(two.list("room:c").isEmpty && two.list("room:d").keys.sorted() == ["frank"])
        #expect(emptied.withLock { $0 } == ["room:a", "room:b", "room:c"])

        // A merge that removes nothing reports nothing.
        two.merge(PresenceSet(replica: "one"))
        #expect(emptied.withLock { $0 } == ["room:a", "room:b", "room:c"])
    }
}
