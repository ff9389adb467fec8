import SiteflowRealtime
import SiteflowRuntime
import Testing

/// Waits (up to 10 s) until `supervisor` has `count` running children.
private func children(of supervisor: DynamicSupervisorRef, become count: Int) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while try await supervisor.countChildren().active != count {
        guard ContinuousClock.now < deadline else {
            throw TestError("the supervisor has \(try await supervisor.countChildren().active) children, not \(count)")
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}

@Suite("Sockets are children of the sockets' supervisor")
struct SocketSupervisionTests {
    @Test("N sockets are N temporary children, each with its channels beneath it; a closed one leaves; a crashed one is not restarted and its siblings carry on")
    func socketsAreChildren() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        _ = try await Supervisor.start(runtime: harness.runtime, strategy: .oneForOne,
                                       children: [harness.endpoint.socketSupervisorSpec(name: "sockets")])
        let supervisor = try #require(harness.endpoint.socketSupervisorRef)
        let clients = try (0..<5).map { _ in try harness.connect() }
        for (index, client) in clients.enumerated() {
            client.send(#"["1","1","room:\#(index)","phx_join",{}]"#)
            #expect(try await client.nextJSON() == v2Reply("1", "1", "room:\(index)", "ok", ["joined": .string("room:\(index)")]))
        }
        try await children(of: supervisor, become: 5)
        let adopted = try await supervisor.whichChildren()
        #expect(adopted.allSatisfy { $0.restart == .temporary && $0.id == RealtimeEndpoint.socketChildID })
        let snapshots = harness.runtime.snapshots().filter { $0.id.isAlive }
        let sockets = snapshots.filter { $0.kind == "socket" }
        #expect(Set(sockets.map(\.id)) == Set(adopted.compactMap(\.process)))
        #expect(sockets.allSatisfy { $0.parent == supervisor.id })
        let channels = snapshots.filter { $0.kind == "channel" }
        #expect(channels.count == 5)
        #expect(channels.allSatisfy { channel in sockets.contains { $0.id == channel.parent } })

        // A socket whose connection closed leaves the supervisor.
        clients[0].session.transportClosed(code: .normal, reason: "bye")
        try await children(of: supervisor, become: 4)

        // A crashed socket is not restarted; its siblings are untouched.
        let victim = try #require(try await supervisor.whichChildren().first?.process)
        harness.runtime.exit(victim, reason: .kill)
        try await children(of: supervisor, become: 3)
        harness.endpoint.tick()  // closes the connection of the socket process that ended
        let survivors = clients.dropFirst().filter { !$0.connection.isClosing }
        #expect(survivors.count == 3)
        for client in survivors {
            try await client.sync()
            client.send(#"["1","2","room:x","phx_join",{}]"#)
            _ = try await client.nextJSON()
        }
        try await children(of: supervisor, become: 3)
        #expect(harness.endpoint.socketCount == 3)
    }

    @Test("when the sockets' supervisor ends, its sockets end and close their connections; new sockets go under its successor")
    func supervisorEndClosesItsSockets() async throws {
        let harness = Harness.make()
        defer { harness.shutdown() }
        let root = try await Supervisor.start(runtime: harness.runtime, strategy: .oneForOne,
                                              children: [harness.endpoint.socketSupervisorSpec(name: "sockets")])
        let first = try #require(harness.endpoint.socketSupervisorRef)
        let clients = try (0..<3).map { _ in try harness.connect() }
        try await children(of: first, become: 3)
        harness.runtime.exit(first.id, reason: .kill)
        for client in clients {
            let (code, _) = try await client.nextClose()
            #expect(code == .internalError)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while try await root.whichChildren().first?.process ?? first.id == first.id {
            guard ContinuousClock.now < deadline else { throw TestError("the sockets' supervisor was not restarted") }
            try await Task.sleep(for: .milliseconds(1))
        }
        let second = try #require(harness.endpoint.socketSupervisorRef)
        #expect(second.id != first.id)
        let late = try harness.connect()
        try await late.sync()
        try await children(of: second, become: 1)
    }
}
