import Foundation
import SiteflowApp
import SiteflowStore
import Testing

@Suite("Operator surfaces need the admin token")
struct AdminAccessTests {
    private func get(_ port: Int, _ target: String, _ headers: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(headers)\r\n"
    }

    @Test("without the token, /dashboard/, /dashboard/data and /metrics answer 401 with what to do; with a bearer token they answer")
    func bearer() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            for target in ["/dashboard/", "/dashboard/data", "/metrics"] {
                let refused = try await rawHTTP(port: port, get(port, target))
                #expect(refused.head.hasPrefix("HTTP/1.1 401"), "\(target): \(refused.head)")
                #expect(refused.body.contains("needs the admin token"), "\(target)")
                let wrong = try await rawHTTP(port: port, get(port, target, "Authorization: Bearer \(String(repeating: "x", count: 43))\r\n"))
                #expect(wrong.head.hasPrefix("HTTP/1.1 401"), "\(target)")
                let allowed = try await rawHTTP(port: port, get(port, target, "Authorization: Bearer \(node.admin.token)\r\n"))
                #expect(allowed.head.hasPrefix("HTTP/1.1 200"), "\(target): \(allowed.head)")
            }
            // The chat stays public.
            #expect(try await rawHTTP(port: port, get(port, "/")).head.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("the printed link signs a browser in: a cookie (HttpOnly, SameSite=Strict) and a redirect without the token; a wrong token gets 401")
    func dashboardLink() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let link = try #require(URL(string: node.dashboardURL))
            #expect(link.query == "token=\(node.admin.token)")
            let login = try await rawHTTP(port: port, get(port, "/dashboard/?\(try #require(link.query))"))
            #expect(login.head.hasPrefix("HTTP/1.1 303"))
            let headers = login.head.lowercased()
            #expect(headers.contains("location: /dashboard/\r\n"))
            let cookieLine = try #require(login.head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
            #expect(cookieLine.contains("HttpOnly") && cookieLine.contains("SameSite=Strict") && cookieLine.contains("Path=/dashboard"))
            let cookie = "Cookie: theme=dark; \(AdminAccess.cookieName)=\(node.admin.token)\r\n"
            #expect(try await rawHTTP(port: port, get(port, "/dashboard/data", cookie)).head.hasPrefix("HTTP/1.1 200"))
            #expect(try await rawHTTP(port: port, get(port, "/dashboard/?token=wrong-token-wrong-token")).head.hasPrefix("HTTP/1.1 401"))
        }
    }

    @Test("a configured token replaces the generated one; a metrics-only token reads /metrics and nothing else; short tokens are refused")
    func configuredTokens() async throws {
        let admin = try AdminAccess(token: "admin-token-0123456789", metricsToken: "scrape-token-0123456789")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let node = try await SiteflowNode.start(NodeConfiguration(
            port: 0, database: .sqlite(path: folder.appendingPathComponent("chat.db").path), runsDigestJob: false, admin: admin))
        let port = try #require(node.port)
        let scrape = "Authorization: Bearer scrape-token-0123456789\r\n"
        let metrics = try await rawHTTP(port: port, get(port, "/metrics", scrape))
        let data = try await rawHTTP(port: port, get(port, "/dashboard/data", scrape))
        let asAdmin = try await rawHTTP(port: port, get(port, "/dashboard/data", "Authorization: Bearer admin-token-0123456789\r\n"))
        await node.stop()
        #expect(metrics.head.hasPrefix("HTTP/1.1 200"))
        #expect(data.head.hasPrefix("HTTP/1.1 401"))
        #expect(asAdmin.head.hasPrefix("HTTP/1.1 200"))
        #expect(throws: AdminAccessError.tooShort("the admin token")) { try AdminAccess(token: "short") }
        #expect(AdminAccess.generated().token != AdminAccess.generated().token)
    }
}
