import SiteflowRuntime

/// The transport's handle on an accepted socket: forwards frames and the close to the socket's
/// process (sends never block).
struct SocketSession: TransportSession {
    let socket: PID<SocketMessage>
    let output: SocketOutput

    func received(_ frame: TransportFrame) {
        socket.send(.frame(frame))
    }

    func transportClosed(code: TransportCloseCode?, reason: String) {
        output.transportClosed()
        socket.send(.transportClosed(code: code, reason: reason))
    }
}
