import SiteflowRuntime

/// The transport's handle on an accepted socket: forwards frames and the close to the socket's
/// process (sends never block). The process reports each frame's consumption to the
/// connection, so a client cannot outrun its socket process.
struct SocketSession: TransportSession {
    let socket: PID<SocketMessage>
    let output: SocketOutput

    var reportsConsumption: Bool { true }

    func received(_ frame: TransportFrame) {
        socket.send(.frame(frame))
    }

    func transportClosed(code: TransportCloseCode?, reason: String) {
        output.transportClosed()
        socket.send(.transportClosed(code: code, reason: reason))
    }
}
