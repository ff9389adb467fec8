import SiteflowRuntime

/// The transport's handle on an accepted socket: forwards frames and the close to the socket's
/// process (sends never block).
struct SocketSession: TransportSession {
    let socket: PID<SocketMessage>

    func received(_ frame: TransportFrame) {
        socket.send(.frame(frame))
    }

    func transportClosed(code: TransportCloseCode?, reason: String) {
        socket.send(.transportClosed(code: code, reason: reason))
    }
}
