import NIOCore
import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
import Synchronization
import Testing

/// A backplane that records what it was asked to publish.
final class RecordingBackplane: PubSubBackplane {
    let published = Mutex<[PubSubBroadcast]>([])
    func publish(_ broadcast: PubSubBroadcast) { published.withLock { $0.append(broadcast) } }
}

@Suite("PubSub: sharded subscriptions, fastlane broadcasts, intercepts, cleanup")
struct PubSubTests {
    func joined(_ harness: Harness, vsn: String?, topic: String = "room:a") async throws -> Client {
        let client = try harness.connect(vsn: vsn)
        if vsn == nil {
            client.send(#"{"topic":"\#(topic)","event":"phx_join","payload":{},"ref":"1"}"#)
        } else {
            client.send(#"["1","1","\#(topic)","phx_join",{}]"#)
        }
        _ = try await client.nextJSON()
        return client
    }

    func baseAddress(_ event: ConnectionEvent) -> UInt? {
        guard case .frame(.text(let buffer)) = event else { return nil }
        return buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
    }

    @Test("a broadcast is encoded once per serializer and the same bytes are written to every socket (fastlane)")
    func fastlane() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let first = try await joined(harness, vsn: "2.0.0")
        let second = try await joined(harness, vsn: "2.0.0")
        let old = try await joined(harness, vsn: nil)
        harness.pubsub.broadcast(topic: "room:a", event: "new_msg", payload: .json(["body": "hi"]))
        let a = try await first.connection.next()
        let b = try await second.connection.next()
        #expect(a == .frame(.text(ByteBuffer(string: #"[null,null,"room:a","new_msg",{"body":"hi"}]"#))))
        #expect(a == b)
        #expect(baseAddress(a) != nil)
        #expect(baseAddress(a) == baseAddress(b), "both sockets got the one encoded buffer")
        let v1 = try await old.nextJSON()
        #expect(v1 == ["topic": "room:a", "event": "new_msg", "payload": ["body": "hi"], "ref": nil])
        #expect(harness.endpoint.statistics[.fastlaneWrites] == 3)
    }

    @Test("PubSub delivers through the dispatcher it is given, which sees the subscribers without the sender's; a socket reached by another dispatcher still gets the broadcast")
    func dispatchers() async throws {
        /// A dispatcher that only counts the subscribers it is handed.
        final class CountingDispatcher: PubSubDispatcher {
            let seen = Mutex(0)
            func dispatch(_ broadcast: PubSubBroadcast, to subscribers: PubSubSubscribers) {
                seen.withLock { $0 += subscribers.reduce(0) { count, _ in count + 1 } }
            }
        }
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try await joined(harness, vsn: "2.0.0")
        let listener = try TestProbe<String>(runtime: harness.runtime)
        harness.pubsub.subscribe(listener.pid, to: "room:a") { $0.event }
        let sender = try TestProbe<String>(runtime: harness.runtime)
        harness.pubsub.subscribe(sender.pid, to: "room:a") { $0.event }

        let counting = CountingDispatcher()
        harness.pubsub.broadcast(PubSubBroadcast(topic: "room:a", event: "counted", payload: .empty, from: sender.pid.id), dispatcher: counting)
        #expect(counting.seen.withLock { $0 } == 2, "the socket's channel and the listener, not the sender")

        // The direct dispatcher knows no sockets: the channel's subscriber encodes and writes for itself.
        harness.pubsub.broadcast(PubSubBroadcast(topic: "room:a", event: "direct", payload: .json(["n": 1])), dispatcher: DirectDispatcher())
        #expect(try await client.nextJSON() == [nil, nil, "room:a", "direct", ["n": 1]])
        #expect(try await listener.next() == "direct")
        #expect(try await sender.next() == "direct")
        #expect(harness.endpoint.statistics[.fastlaneWrites] == 1)
    }

    @Test("broadcastFrom reaches every subscriber except the sender; broadcast includes it")
    func broadcastFrom() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let sender = try await joined(harness, vsn: "2.0.0")
        let other = try await joined(harness, vsn: "2.0.0")
        sender.send(#"["1","2","room:a","shout_from",{"n":1}]"#)
        #expect(try await sender.nextJSON() == v2Reply("1", "2", "room:a", "ok", [:]))
        #expect(try await other.nextJSON() == [nil, nil, "room:a", "shouted", ["n": 1]])
        try await sender.sync()  // nothing else arrived before the heartbeat reply
        sender.send(#"["1","3","room:a","shout",{"n":2}]"#)
        let firstFrame = try await sender.nextJSON()
        let secondFrame = try await sender.nextJSON()
        #expect(Set([firstFrame, secondFrame]) == Set([v2Reply("1", "3", "room:a", "ok", [:]), [nil, nil, "room:a", "shouted", ["n": 2]]]))
        #expect(try await other.nextJSON() == [nil, nil, "room:a", "shouted", ["n": 2]])
    }

    @Test("an intercepted event goes through the channel's handleOut, which may filter or push it")
    func intercepts() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try await joined(harness, vsn: "2.0.0")
        harness.pubsub.broadcast(topic: "room:a", event: "filtered", payload: .json(["secret": 1]))
        harness.pubsub.broadcast(topic: "room:a", event: "filtered", payload: .json(["public": 1]))
        // handleOut pushes as the channel: with the join ref.
        #expect(try await client.nextJSON() == ["1", nil, "room:a", "filtered", ["public": 1]])
    }

    @Test("a binary broadcast is a V2 binary frame; V1 sockets cannot carry it and it is counted")
    func binaryBroadcast() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let client = try await joined(harness, vsn: "2.0.0")
        let old = try await joined(harness, vsn: nil)
        harness.pubsub.broadcast(topic: "room:a", event: "img", payload: .binary(ByteBuffer(bytes: [7, 7])))
        #expect(try await client.connection.nextBinary() == [2, 6, 3] + Array("room:aimg".utf8) + [7, 7])
        old.send(#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"s"}"#)
        #expect(try await old.nextJSON()["ref"] == "s")
        #expect(harness.endpoint.statistics[.unencodable] == 1)
    }

    @Test("plain processes subscribe, receive broadcasts, and lose their subscriptions when they end")
    func processSubscriberCleanup() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let pubsub = PubSub(runtime: runtime)
        let probe = try TestProbe<String>(runtime: runtime)
        pubsub.subscribe(probe.pid, to: "jobs") { "\($0.event):\($0.payload.json?["id"] ?? nil)" }
        pubsub.subscribe(probe.pid, to: "other") { $0.event }
        #expect(pubsub.subscriberCount("jobs") == 1)
        pubsub.broadcast(topic: "jobs", event: "done", payload: .json(["id": 3]))
        #expect(try await probe.next() == "done:3")
        pubsub.broadcast(topic: "jobs", event: "skipped", payload: .empty, from: probe.pid.id)
        pubsub.broadcast(topic: "other", event: "seen", payload: .empty)
        #expect(try await probe.next() == "seen")
        runtime.exit(probe.pid.id, reason: .kill)
        _ = await runtime.waitForExit(probe.pid.id)
        #expect(pubsub.subscriberCount("jobs") == 0)
        #expect(pubsub.subscriberCount("other") == 0)
        #expect(pubsub.topicCount == 0)
    }

    @Test("in a topic with many subscribers, unsubscribing removes exactly that owner's subscriptions (all of them) and broadcasts reach exactly the rest")
    func unsubscribeAmongMany() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let pubsub = PubSub(runtime: runtime)
        let delivered = Mutex<[Int]>([])
        let probes = try (0..<200).map { _ in try TestProbe<String>(runtime: runtime) }
        let owners = probes.map(\.pid.id)
        for (index, owner) in owners.enumerated() {
            pubsub.subscribe(owner, to: "crowd") { _ in delivered.withLock { $0.append(index) } }
        }
        // A second subscription of one owner: both go with it.
        pubsub.subscribe(owners[7], to: "crowd") { _ in delivered.withLock { $0.append(7) } }
        let leaving: Set<Int> = [0, 7, 99, 100, 150, 199]
        for index in leaving.sorted(by: >) { pubsub.unsubscribe(owners[index], from: "crowd") }
        #expect(pubsub.subscriberCount("crowd") == 200 - leaving.count)
        pubsub.broadcast(topic: "crowd", event: "hello", payload: .empty)
        #expect(Set(delivered.withLock { $0 }) == Set(0..<200).subtracting(leaving))
        #expect(delivered.withLock { $0.count } == 200 - leaving.count)
        for index in 0..<200 where !leaving.contains(index) { pubsub.unsubscribe(owners[index], from: "crowd") }
        #expect(pubsub.subscriberCount("crowd") == 0)
        #expect(pubsub.topicCount == 0)
    }

    @Test("subscribing a process that already ended leaves no subscription")
    func deadSubscriber() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let pubsub = PubSub(runtime: runtime)
        let probe = try TestProbe<String>(runtime: runtime)
        runtime.exit(probe.pid.id, reason: .kill)
        _ = await runtime.waitForExit(probe.pid.id)
        pubsub.subscribe(probe.pid, to: "t") { $0.event }
        #expect(pubsub.subscriberCount("t") == 0)
    }

    @Test("broadcasts go to the backplane once; broadcasts from other nodes fan out locally only")
    func backplane() async throws {
        let runtime = Runtime(configuration: RuntimeConfiguration(scheduler: SchedulerConfiguration(threads: 2)))
        defer { runtime.shutdown() }
        let pubsub = PubSub(runtime: runtime)
        let backplane = RecordingBackplane()
        pubsub.backplane = backplane
        let probe = try TestProbe<String>(runtime: runtime)
        pubsub.subscribe(probe.pid, to: "t") { $0.event }
        pubsub.broadcast(topic: "t", event: "local", payload: .empty)
        pubsub.deliverFromRemote(PubSubBroadcast(topic: "t", event: "remote", payload: .empty))
        #expect(try await probe.next() == "local")
        #expect(try await probe.next() == "remote")
        #expect(backplane.published.withLock { $0.map(\.event) } == ["local"])
    }
}
