import Logging
import NIOCore
import ServiceLifecycle
import SiteflowRealtime
import SiteflowServer
import Testing

@Suite("Server lifecycle", .timeLimit(.minutes(1)))
struct ServerLifecycleTests {
    @Test("as a ServiceGroup service, a graceful shutdown closes the sockets with 1001 and run() returns")
    func serviceGroupShutdown() async throws {
        let endpoint = RecordingEndpoint(.echo)
        var logger = Logger(label: "siteflow.server.test")
        logger.logLevel = .warning
        let server = SiteflowHTTPServer(configuration: ServerConfiguration(port: 0, eventLoopThreads: 1), endpoint: endpoint, logger: logger)
        try await server.start()
        let port = try #require(server.localPort)
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let (client, _) = try await RecordingClient.connect(port: port)
            _ = try await endpoint.nextConnection()
            await group.triggerGracefulShutdown()
            #expect(try await client.next() == .closed(code: 1001, reason: "server shutting down"))
            try await tasks.waitForAll()
        }
        #expect(endpoint.closeCounts == [1])
    }

    @Test("starting twice is a typed error")
    func startTwice() async throws {
        let server = SiteflowHTTPServer(configuration: ServerConfiguration(port: 0, eventLoopThreads: 1), endpoint: RecordingEndpoint(.echo))
        try await server.start()
        await #expect(throws: ServerError.alreadyStarted) {
            try await server.start()
        }
        await server.shutdown()
    }

    @Test("an out-of-range configuration is a typed error that names the value")
    func invalidConfiguration() async throws {
        let server = SiteflowHTTPServer(configuration: ServerConfiguration(port: 0, maxFrameSize: 0), endpoint: RecordingEndpoint(.echo))
        let error = await #expect(throws: ServerError.self) {
            try await server.start()
        }
        #expect(error?.isInvalidConfiguration == true)
        #expect(error?.description == "invalid server configuration: maxFrameSize must be between 1 and 2^32-1 (got 0)")
    }

    @Test("a port already in use is reported, not a crash")
    func portInUse() async throws {
        let first = SiteflowHTTPServer(configuration: ServerConfiguration(port: 0, eventLoopThreads: 1), endpoint: RecordingEndpoint(.echo))
        try await first.start()
        let port = try #require(first.localPort)
        let second = SiteflowHTTPServer(configuration: ServerConfiguration(port: port, eventLoopThreads: 1), endpoint: RecordingEndpoint(.echo))
        await #expect(throws: (any Error).self) {
            try await second.start()
        }
        await first.shutdown()
    }
}
