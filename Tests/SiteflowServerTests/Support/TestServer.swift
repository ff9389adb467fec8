import Logging
import SiteflowRealtime
import Testing
import SiteflowServer

/// Starts a real server on a free port for one spec and shuts it down afterwards.
func withServer<T>(
    _ endpoint: any SocketEndpoint,
    configuration: ServerConfiguration = ServerConfiguration(port: 0),
    routes: RouteTable = RouteTable(),
    _ body: (SiteflowHTTPServer, Int) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.port = 0
    configuration.eventLoopThreads = 2
    var logger = Logger(label: "siteflow.server.test")
    logger.logLevel = .warning
    let server = SiteflowHTTPServer(configuration: configuration, endpoint: endpoint, routes: routes, logger: logger)
    try await server.start()
    let port = try #require(server.localPort)
    do {
        let result = try await body(server, port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}
