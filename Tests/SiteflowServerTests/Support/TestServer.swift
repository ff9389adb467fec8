import Logging
import SiteflowRealtime
import Testing
import SiteflowServer

extension RouteTable {
    /// A small site for the transport's specs (the server knows no application): a page at `/`
    /// and two assets, as an application would register them.
    static var testSite: RouteTable {
        var routes = RouteTable()
        routes.get("/") { _ in RouteResponse(contentType: "text/html; charset=utf-8", text: "<!doctype html><title>test</title>") }
        routes.get("/assets/chat.css") { _ in RouteResponse(contentType: "text/css; charset=utf-8", text: "body { margin: 0; }") }
        routes.get("/assets/chat.js") { _ in RouteResponse(contentType: "text/javascript; charset=utf-8", text: "void 0;") }
        return routes
    }
}

/// Starts a real server on a free port for one spec and shuts it down afterwards.
func withServer<T>(
    _ endpoint: any SocketEndpoint,
    configuration: ServerConfiguration = ServerConfiguration(port: 0),
    routes: RouteTable = .testSite,
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
