public import SiteflowRuntime

/// The process behind one joined topic: it owns a ``Channel`` value and its ``ChannelSocket``,
/// and handles client messages, intercepted broadcasts and info messages one at a time.
///
/// A `phx_leave` is answered ok and stops the channel with `shutdown(left)`; `handleIn`'s
/// `.stop` stops it with the given reason; a thrown error crashes it (its socket, linked and
/// trapping exits, then sends `phx_error`).
public struct ChannelProcess<C: Channel>: Behavior {
    /// Channel processes take ``ChannelMessage``s.
    public typealias Message = ChannelMessage

    var channel: C
    var socket: ChannelSocket

    init(channel: C, socket: ChannelSocket) {
        self.channel = channel
        self.socket = socket
    }

    /// Handles one message (see the type's description).
    public mutating func handle(_ message: ChannelMessage, context: ProcessContext<ChannelMessage>) throws {
        if socket.channel == nil {
            socket.channel = context.pid
        }
        switch message {
        case .afterJoin:
            try channel.afterJoin(socket: &socket)
        case .inbound(let inbound):
            if inbound.event == PhoenixEvent.leave {
                socket.output.reply(.ok(to: inbound))
                context.stop(.shutdownWith("left"))
                return
            }
            socket.currentPush = (joinRef: inbound.joinRef ?? socket.joinRef, ref: inbound.ref)
            defer { socket.currentPush = nil }
            let action = try channel.handleIn(event: inbound.event, payload: inbound.payload, socket: &socket)
            switch action {
            case .noReply:
                break
            case .reply(let status, let response):
                socket.output.reply(PhoenixReply(joinRef: inbound.joinRef ?? socket.joinRef, ref: inbound.ref,
                                                 topic: inbound.topic, status: status, response: response))
            case .stop(let reason, let reply):
                if let reply {
                    socket.output.reply(PhoenixReply(joinRef: inbound.joinRef ?? socket.joinRef, ref: inbound.ref,
                                                     topic: inbound.topic, status: reply.status, response: reply.response))
                }
                context.stop(reason)
            }
        case .intercepted(let event, let payload):
            try channel.handleOut(event: event, payload: payload, socket: &socket)
        case .info(let info):
            try channel.handleInfo(info, socket: &socket)
        }
    }

    /// Calls the channel's `terminate`.
    public mutating func terminate(reason: ExitReason, context: ProcessContext<ChannelMessage>) {
        channel.terminate(reason: reason, socket: &socket)
    }

    /// `"channel"`.
    public static var kind: String { "channel" }
}
