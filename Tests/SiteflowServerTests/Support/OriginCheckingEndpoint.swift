import SiteflowRealtime

/// An endpoint that allows pages of one origin (and requests without `Origin`), delegating
/// connections to `inner`: the origin check a transport asks of its endpoint, without the
/// socket layer.
struct OriginCheckingEndpoint: SocketEndpoint {
    let inner: RecordingEndpoint
    let allowed: String

    func connect(_ request: ConnectionRequest, connection: any TransportConnection) -> ConnectionDecision {
        guard allowsOrigin(request.header("origin"), requestHost: request.header("host")) else {
            return .refuse(status: 403, reason: "origin not allowed")
        }
        return inner.connect(request, connection: connection)
    }

    func allowsOrigin(_ origin: String?, requestHost: String?) -> Bool {
        origin == nil || origin == allowed
    }
}
