import Foundation
import Logging
import ServiceLifecycle
import SiteflowApp
import SiteflowObservability
import SiteflowRealtime
import SiteflowRuntime
import SiteflowStore
import Testing

/// The process registered under `name` now, if any.
private func process(named name: String, in runtime: Runtime) -> ProcessSnapshot? {
    runtime.snapshots().first { $0.name == name && $0.id.isAlive }
}

/// Waits (up to 10 s, checking every 10 ms) until a live process other than `old` is registered
/// under `name` and is a child of the node's root supervisor (its start has completed), and
/// returns it.
private func restarted(_ name: String, replacing old: ProcessID, in node: SiteflowNode) async throws -> ProcessSnapshot {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if let found = process(named: name, in: node.runtime), found.id != old,
           try await node.root.whichChildren().contains(where: { $0.process == found.id }) {
            return found
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("\(name) was not restarted")
    throw CancellationError()
}

@Suite("The node is one supervision tree")
struct NodeSupervisionTests {
    @Test("each long-lived process killed is restarted under its name by the root, and the chat keeps working with no acknowledged message lost")
    func killEachProcess() async throws {
        try await withNode { node in
            let runtime = node.runtime
            let port = try #require(node.port)
            let root = try #require(process(named: NodeProcessNames.root, in: runtime))
            var alice = try await PhoenixTestClient.connect(port: port)
            var bob = try await PhoenixTestClient.connect(port: port)
            defer { alice.close(); bob.close() }
            var aliceJoin = try await alice.join("room:tree", payload: ["nickname": "alice"])
            let bobJoin = try await bob.join("room:tree", payload: ["nickname": "bob"])
            var acknowledged: [Int64] = []

            /// Alice sends `body`: it is acknowledged, bob gets it, and it is in the history.
            func chatWorks(_ body: String) async throws {
                let ref = alice.push(joinRef: aliceJoin.joinRef, topic: "room:tree", event: "new_msg", payload: ["body": .string(body)])
                let ack = try await alice.reply(to: ref)
                #expect(ack.payload["status"] == "ok", "\(body): \(ack.payload)")
                let id = try #require(ack.payload["response"]?["id"]?.intValue)
                acknowledged.append(id)
                let broadcast = try await bob.next("bob to get \(body)") { $0.event == "new_msg" && $0.payload["body"]?.stringValue == body }
                #expect(broadcast.payload["id"]?.intValue == id)
                let stored = try await node.store.history(room: "tree", limit: 1000, before: nil)
                #expect(stored.messages.contains { $0.id == id }, "\(body) acknowledged means stored")
            }
            try await chatWorks("before")

            // The writer, killed while a burst of messages is queued: a new one under the same
            // name takes the queue over; every message is acknowledged and stored.
            let writer = try #require(process(named: NodeProcessNames.messageWriter, in: runtime))
            #expect(writer.parent == root.id && writer.kind == "message_writer")
            let burst = (0..<20).map { index in
                alice.push(joinRef: aliceJoin.joinRef, topic: "room:tree", event: "new_msg", payload: ["body": .string("burst \(index)")])
            }
            runtime.exit(writer.id, reason: .kill)
            for ref in burst {
                let ack = try await alice.reply(to: ref)
                #expect(ack.payload["status"] == "ok", "\(ack.payload)")
                if let id = ack.payload["response"]?["id"]?.intValue { acknowledged.append(id) }
            }
            let newWriter = try await restarted(NodeProcessNames.messageWriter, replacing: writer.id, in: node)
            #expect(newWriter.parent == root.id)
            try await chatWorks("after the writer")

            // The job engine's ticker and its supervisor.
            for name in [NodeProcessNames.jobTicker, NodeProcessNames.jobSupervisor] {
                let old = try #require(process(named: name, in: runtime))
                #expect(old.parent == root.id)
                runtime.exit(old.id, reason: .kill)
                let new = try await restarted(name, replacing: old.id, in: node)
                #expect(new.parent == root.id)
                if name == NodeProcessNames.jobTicker {
                    // The new ticker ticks at once (a tick is one message handled).
                    let deadline = ContinuousClock.now + .seconds(10)
                    while (runtime.snapshot(of: new.id)?.messagesHandled ?? 0) == 0, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    #expect((runtime.snapshot(of: new.id)?.messagesHandled ?? 0) > 0, "the new ticker ticks")
                }
                try await chatWorks("after \(name)")
            }
            #expect(try await node.jobs.tick().isEmpty, "the engine ticks with its new supervisor")

            // Presence's watcher: the new one watches the owners tracked before the kill (dave
            // leaving is seen) and those tracked after it (erin joining and leaving).
            let dave = try await PhoenixTestClient.connect(port: port)
            _ = try await dave.join("room:tree", payload: ["nickname": "dave"])
            _ = try await bob.next("dave joining") { $0.event == "presence_diff" && $0.payload["joins"]?["dave"] != nil }
            let watcher = try #require(process(named: NodeProcessNames.presence, in: runtime))
            #expect(watcher.parent == root.id)
            runtime.exit(watcher.id, reason: .kill)
            let newWatcher = try await restarted(NodeProcessNames.presence, replacing: watcher.id, in: node)
            #expect(newWatcher.parent == root.id)
            dave.close()
            _ = try await bob.next("dave leaving") { $0.event == "presence_diff" && $0.payload["leaves"]?["dave"] != nil }
            let erin = try await PhoenixTestClient.connect(port: port)
            _ = try await erin.join("room:tree", payload: ["nickname": "erin"])
            _ = try await bob.next("erin joining") { $0.event == "presence_diff" && $0.payload["joins"]?["erin"] != nil }
            erin.close()
            _ = try await bob.next("erin leaving") { $0.event == "presence_diff" && $0.payload["leaves"]?["erin"] != nil }
            try await chatWorks("after presence")

            // The sockets' supervisor: its sockets (its children) end with it, closing their
            // connections; their clients reconnect, and new sockets go under the new one.
            let sockets = try #require(process(named: NodeProcessNames.sockets, in: runtime))
            #expect(sockets.parent == root.id)
            #expect(runtime.snapshots().contains { $0.kind == "socket" && $0.parent == sockets.id })
            runtime.exit(sockets.id, reason: .kill)
            let newSockets = try await restarted(NodeProcessNames.sockets, replacing: sockets.id, in: node)
            for client in [alice, bob] {
                do {
                    _ = try await client.next("the connection to close with its supervisor", within: .seconds(10)) { _ in false }
                    Issue.record("a socket outlived its supervisor")
                } catch PhoenixTestClient.Failure.closed {}
                client.close()
            }
            let aliceToken = try #require(aliceJoin.reply["response"]?["token"]?.stringValue)
            let bobToken = try #require(bobJoin.reply["response"]?["token"]?.stringValue)
            alice = try await PhoenixTestClient.connect(port: port)
            bob = try await PhoenixTestClient.connect(port: port)
            aliceJoin = try await alice.join("room:tree", payload: ["nickname": "alice", "token": .string(aliceToken)])
            #expect(aliceJoin.reply["status"] == "ok", "\(aliceJoin.reply)")
            let bobRejoin = try await bob.join("room:tree", payload: ["nickname": "bob", "token": .string(bobToken)])
            #expect(bobRejoin.reply["status"] == "ok", "\(bobRejoin.reply)")
            try await chatWorks("after the sockets' supervisor")

            // A socket: its connection is closed; its client reconnects and finds every
            // acknowledged message in the history.
            let socketsBeforeCarol = Set(runtime.snapshots().filter { $0.kind == "socket" && $0.id.isAlive }.map(\.id))
            let carol = try await PhoenixTestClient.connect(port: port)
            defer { carol.close() }
            let carolJoin = try await carol.join("room:tree", payload: ["nickname": "carol"])
            let carolToken = try #require(carolJoin.reply["response"]?["token"]?.stringValue, "the join hands out carol's nickname token")
            // Alice's, bob's and carol's sockets are the new supervisor's children.
            let carolSocket = try #require(runtime.snapshots().first {
                $0.kind == "socket" && $0.id.isAlive && !socketsBeforeCarol.contains($0.id)
            })
            #expect(runtime.snapshots().filter { $0.kind == "socket" && $0.id.isAlive }.count == 3)
            #expect(runtime.snapshots().filter { $0.kind == "socket" && $0.id.isAlive }.allSatisfy { $0.parent == newSockets.id })
            runtime.exit(carolSocket.id, reason: .kill)
            while carolSocket.id.isAlive { try await Task.sleep(for: .milliseconds(10)) }
            node.endpoint.tick()
            do {
                _ = try await carol.next("carol's connection to close", within: .seconds(5)) { _ in false }
            } catch PhoenixTestClient.Failure.closed {
                // The connection of the killed socket is closed: its client reconnects.
            }
            try await chatWorks("after a socket")
            let again = try await PhoenixTestClient.connect(port: port)
            defer { again.close() }
            // The client comes back as phoenix.js would with our page: presenting carol's token.
            let rejoin = try await again.join("room:tree", payload: ["nickname": "carol", "token": .string(carolToken)])
            guard case .array(let history)? = rejoin.reply["response"]?["messages"] else {
                Issue.record("the join reply has no messages: \(rejoin.reply)")
                return
            }
            let stored = try await node.store.history(room: "tree", limit: 1000, before: nil)
            #expect(Set(stored.messages.map(\.id)).isSuperset(of: acknowledged), "no acknowledged message lost")
            #expect(acknowledged.count == 27)
            #expect(history.count == min(acknowledged.count, node.configuration.historyPageSize))
            #expect(process(named: NodeProcessNames.root, in: runtime)?.id == root.id, "the root itself was never restarted")
        }
    }

    @Test("the dashboard's supervision tree shows the whole node: the root, its children, and each socket with its channels")
    func dashboardTree() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            defer { alice.close() }
            _ = try await alice.join("room:tree", payload: ["nickname": "alice"])
            let trees = node.dashboard.document().sections.flatMap(\.trees)
            let root = try #require(trees.first { $0.label.hasPrefix(NodeProcessNames.root) }, "\(trees.map(\.label))")
            let children = root.children.map(\.label)
            for name in [NodeProcessNames.messageWriter, NodeProcessNames.jobSupervisor, NodeProcessNames.jobTicker,
                         NodeProcessNames.presence, NodeProcessNames.sockets, NodeProcessNames.heapTrimmer] {
                #expect(children.contains { $0.hasPrefix(name) }, "\(name) in \(children)")
            }
            let metrics = String(decoding: node.metrics.scrape(), as: UTF8.self)
            for name in ["siteflow_heap_free_bytes", "siteflow_heap_trims_total", "siteflow_heap_trimmed_bytes_total"] {
                #expect(metrics.contains(name), "/metrics has \(name)")
            }
            let sockets = try #require(root.children.first { $0.label.hasPrefix(NodeProcessNames.sockets) })
            let socket = try #require(sockets.children.first, "alice's socket under \(sockets.label)")
            #expect(socket.label.contains("socket"))
            #expect(socket.children.contains { $0.label.contains("channel") }, "\(socket.children.map(\.label))")
        }
    }

    @Test("run() is a ServiceGroup of the runtime, the store, the tree and the server; a graceful shutdown stops them in reverse order")
    func serviceGroup() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = NodeConfiguration(port: 0, database: .sqlite(path: folder.appendingPathComponent("chat.db").path), runsDigestJob: false)
        let node = try await SiteflowNode.start(configuration)
        #expect(node.services.map { "\($0)" }.prefix(3) == ["runtime", "store", "supervision tree"])
        let group = ServiceGroup(services: [node], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try #require(node.port)
            let alice = try await PhoenixTestClient.connect(port: port)
            defer { alice.close() }
            let join = try await alice.join("room:group", payload: ["nickname": "alice"])
            let ref = alice.push(joinRef: join.joinRef, topic: "room:group", event: "new_msg", payload: ["body": "hi"])
            #expect(try await alice.reply(to: ref).payload["status"] == "ok")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // Reverse order: the server closed the socket, the tree stopped (the root has ended and
        // the writer refuses), the store closed.
        #expect(!node.root.id.isAlive)
        let refused = await #expect(throws: StoreError.self) {
            _ = try await node.chat.writer.write(NewMessage(room: "room:group", nickname: "alice", body: "late"))
        }
        #expect(refused?.code == .closed)
        await #expect(throws: (any Error).self) { _ = try await PhoenixTestClient.connect(port: node.port ?? configuration.port) }
        await node.stop()
    }
}
