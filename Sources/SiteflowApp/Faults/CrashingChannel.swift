import SiteflowRealtime

/// A channel that crashes on request, for crash-storm drills (`siteflow serve --fault-injection`
/// only; topics `fault:*`, joinable from loopback clients only): the push `crash` throws in its
/// handler, so the channel process ends with an error, the client gets `phx_error`, and the
/// socket and its other channels carry on, as after any crash of channel code.
struct CrashingChannel: Channel {
    /// What the handler throws.
    struct InjectedCrash: Error, CustomStringConvertible {
        var description: String { "a crash injected through the fault:* channel" }
    }

    /// The socket assign holding the client's address (set by the node's socket definition).
    let addressAssign: String

    mutating func join(topic: String, payload: JSONValue, socket: inout ChannelSocket) throws -> ChannelJoinResult {
        guard let address = socket.assigns.get(addressAssign, as: String.self), Self.isLoopback(address) else {
            return .refuse("fault channels answer loopback clients only")
        }
        return .ok()
    }

    mutating func handleIn(event: String, payload: PhoenixPayload, socket: inout ChannelSocket) throws -> ChannelReplyAction {
        guard event == "crash" else { return .error("unknown event \(event); fault channels take 'crash'") }
        throw InjectedCrash()
    }

    /// Whether `address` is a loopback address (127.0.0.0/8 or ::1).
    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
