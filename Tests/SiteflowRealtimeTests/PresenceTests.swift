import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
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
}
