public import Prometheus
public import SiteflowObservability
public import SiteflowRealtime
public import SiteflowServer

/// The socket layer's metrics: open sockets, topics, and a counter per kind of refusal or error
/// (`siteflow_socket_events_total{event="…"}`), so bad input shows up on a dashboard.
public struct RealtimeMetrics: MetricsSource {
    private let endpoint: RealtimeEndpoint
    private let pubsub: PubSub
    private let server: SiteflowHTTPServer?
    private let counters: [(SocketStatistics.Counter, MonotonicCounterMirror)]

    /// Registers the socket layer's metrics in `registry`; with `server`, also its open TCP
    /// connections and long-poll sessions.
    public init(endpoint: RealtimeEndpoint, pubsub: PubSub, server: SiteflowHTTPServer? = nil, registry: PrometheusCollectorRegistry) {
        self.endpoint = endpoint
        self.pubsub = pubsub
        self.server = server
        counters = SocketStatistics.Counter.allCases.map { counter in
            (counter, MonotonicCounterMirror(registry, name: "siteflow_socket_events_total", help: "Socket-layer events and refusals, by kind.",
                                             labels: [("event", "\(counter)")]))
        }
    }

    public func collect(into registry: PrometheusCollectorRegistry) {
        registry.siteflowGauge("siteflow_sockets", help: "Open sockets (WebSocket and long-poll).").set(Int64(endpoint.socketCount))
        registry.siteflowGauge("siteflow_pubsub_topics", help: "Topics with at least one subscriber.").set(Int64(pubsub.topicCount))
        if let server {
            registry.siteflowGauge("siteflow_http_connections", help: "Open TCP connections (HTTP and WebSocket).").set(Int64(server.openConnectionCount))
            registry.siteflowGauge("siteflow_longpoll_sessions", help: "Live long-poll sessions.").set(Int64(server.longPollSessionCount))
        }
        let snapshot = endpoint.statistics.snapshot()
        for (counter, mirror) in counters { mirror.update(to: snapshot[counter]) }
    }
}
