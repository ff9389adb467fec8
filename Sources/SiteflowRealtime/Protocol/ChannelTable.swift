/// The channels of one socket, by topic: a small array searched linearly instead of two
/// dictionaries. A socket joins a handful of topics (at most ``SocketStateMachine/Limits/maxChannels``),
/// and an idle socket joined to one channel then costs one small allocation instead of two hash
/// tables — per-connection memory is what a node of many idle users spends.
struct ChannelTable<Handle: Hashable & Sendable>: Sendable {
    struct Entry: Sendable {
        var topic: String
        var joinRef: String
        var handle: Handle
        var status: SocketStateMachine<Handle>.ChannelStatus
    }

    private var entries: [Entry] = []

    /// The number of channels.
    var count: Int { entries.count }

    /// The channel serving `topic`.
    subscript(topic: String) -> Entry? {
        entries.first { $0.topic == topic }
    }

    /// Adds or replaces the channel of `entry.topic`.
    mutating func set(_ entry: Entry) {
        if let index = entries.firstIndex(where: { $0.topic == entry.topic }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
    }

    /// Removes the channel of `topic`, returning it.
    @discardableResult
    mutating func remove(topic: String) -> Entry? {
        guard let index = entries.firstIndex(where: { $0.topic == topic }) else { return nil }
        return entries.remove(at: index)
    }

    /// Removes the first channel whose handle matches, returning it.
    mutating func remove(handleMatching matches: (Handle) -> Bool) -> Entry? {
        guard let index = entries.firstIndex(where: { matches($0.handle) }) else { return nil }
        return entries.remove(at: index)
    }

    /// Removes every channel, returning their handles.
    mutating func removeAll() -> [Handle] {
        defer { entries = [] }
        return entries.map(\.handle)
    }
}
