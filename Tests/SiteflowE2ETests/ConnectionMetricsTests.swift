import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SiteflowApp
import Testing

@Suite("Connection limits on a node's /metrics")
struct ConnectionMetricsTests {
    @Test("a node reports its open connections, live long-poll sessions and the limits' counters on /metrics; its dashboard page keeps its own CSP")
    func limitsOnMetrics() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let opened = try await httpGet(port: port, path: "/socket/longpoll?vsn=2.0.0&nickname=ann")
            #expect(opened.body.contains(#""status":410"#))
            let metrics = try await httpGet(port: port, path: "/metrics", headers: [("Authorization", "Bearer \(node.admin.token)")]).body
            #expect(metrics.contains("\nsiteflow_longpoll_sessions 1"))
            #expect(metrics.contains("\nsiteflow_http_connections "))
            for event in ["acceptBackoffs", "connectionLimitRefusals", "connectionsPerAddressRefusals", "requestHeadersTooLarge",
                          "requestHeadBudgetRefusals", "requestTimeouts", "keepAliveIdleCloses", "requestsWithoutHost",
                          "requestBodiesTooLarge", "longPollSessionLimitRefusals", "longPollSessionsExpired"] {
                #expect(metrics.contains(#"siteflow_socket_events_total{event="\#(event)"}"#), "\(event)")
            }

            let url = try #require(URL(string: "http://127.0.0.1:\(port)/dashboard/"))
            var request = URLRequest(url: url)
            request.setValue("Bearer \(node.admin.token)", forHTTPHeaderField: "Authorization")
            let (_, response) = try await URLSession.shared.data(for: request)
            let policy = try #require((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "content-security-policy"))
            #expect(policy.contains("script-src 'unsafe-inline'"))
            #expect(policy.contains("frame-ancestors 'none'"))
        }
    }
}
