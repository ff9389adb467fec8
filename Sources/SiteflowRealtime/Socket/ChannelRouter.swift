import SiteflowRuntime

/// Maps topics to channel definitions, like Phoenix's `channel "room:*", RoomChannel`.
///
/// A pattern is either an exact topic (`"lobby"`) or a prefix followed by `*` (`"room:*"`
/// matches `room:lobby` and `room:` itself). Routes are tried in the order they were added; the
/// first match wins.
public struct ChannelRouter: Sendable {
    struct Route: Sendable {
        let pattern: String
        let prefix: String?
        let start: ChannelStarter
    }

    /// Joins a channel in the socket process and, on success, starts its process linked to the
    /// socket; `context` is the socket's.
    typealias ChannelStarter = @Sendable (
        _ topic: String, _ payload: JSONValue, _ socket: ChannelSocket, _ context: ProcessContext<SocketMessage>
    ) throws -> ChannelStartOutcome

    private var routes: [Route] = []

    /// An empty router (every join is answered `unmatched topic`).
    public init() {}

    /// Routes topics matching `pattern` to channels made by `make` (called once per join).
    public mutating func channel<C: Channel>(_ pattern: String, _ make: @escaping @Sendable () -> C) {
        let prefix = pattern.hasSuffix("*") ? String(pattern.dropLast()) : nil
        let intercepts = C.intercepts
        let start: ChannelStarter = { topic, payload, socket, context in
            var channel = make()
            var socket = socket
            switch try channel.join(topic: topic, payload: payload, socket: &socket) {
            case .error(let response):
                return .refused(response)
            case .ok(let response):
                let process = ChannelProcess(channel: channel, socket: socket)
                let pid = try context.spawnLink(process)
                return .joined(pid, response: response, intercepts: intercepts)
            }
        }
        routes.append(Route(pattern: pattern, prefix: prefix, start: start))
    }

    /// Whether some route matches `topic`.
    public func matches(_ topic: String) -> Bool { route(for: topic) != nil }

    func route(for topic: String) -> Route? {
        routes.first { route in
            if let prefix = route.prefix { return topic.hasPrefix(prefix) }
            return topic == route.pattern
        }
    }
}

/// How starting a channel went.
enum ChannelStartOutcome: Sendable {
    case joined(PID<ChannelMessage>, response: JSONValue, intercepts: Set<String>)
    case refused(JSONValue)
}
