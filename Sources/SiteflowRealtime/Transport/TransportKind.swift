/// Which transport a client connected through.
public enum TransportKind: String, Sendable, Hashable {
    /// A WebSocket at `<endpoint>/websocket`.
    case webSocket = "websocket"
    /// Phoenix long-polling at `<endpoint>/longpoll`.
    case longPoll = "longpoll"
}
