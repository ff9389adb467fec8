import ArgumentParser
import Logging
import ServiceLifecycle
import UnixSignals
import SiteflowLoadTestServer
import SiteflowServer

/// `siteflow loadtest-server`: the HTTP/WebSocket/long-poll server with the stand-in bench room
/// endpoint (join, `new_msg` broadcast, heartbeat; no processes, no presence), to measure the
/// transports and the load tester before — or apart from — the real chat channel.
struct LoadTestServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest-server",
        abstract: "Serve the chat page and a stand-in broadcast room endpoint, to measure the transports."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 4000

    func run() async throws {
        var logger = Logger(label: "siteflow.loadtest-server")
        logger.logLevel = .info
        let server = SiteflowHTTPServer(
            configuration: ServerConfiguration(host: host, port: port),
            endpoint: BenchRoomEndpoint(),
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
