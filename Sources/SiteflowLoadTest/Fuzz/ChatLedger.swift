import Synchronization

/// What the well-behaved chat clients sent, had acknowledged and received, so that the campaign
/// can tell which acknowledged messages some client missed.
final class ChatLedger: Sendable {
    private struct State {
        var sent = 0
        var acknowledged = Set<Int>()
        var received: [Set<Int>]
        var disconnects = 0
    }

    private let state: Mutex<State>

    /// A ledger for `clients` chat clients.
    init(clients: Int) {
        state = Mutex(State(received: Array(repeating: [], count: clients)))
    }

    /// The key of message `sequence` of client `client`.
    static func key(client: Int, sequence: Int) -> Int { client << 32 | sequence }

    func sent() { state.withLock { $0.sent += 1 } }
    func acknowledged(_ key: Int) { state.withLock { _ = $0.acknowledged.insert(key) } }
    func received(_ key: Int, by client: Int) { state.withLock { _ = $0.received[client].insert(key) } }
    func disconnected() { state.withLock { $0.disconnects += 1 } }

    /// `true` when every acknowledged message has reached every client.
    var isSettled: Bool {
        state.withLock { state in state.received.allSatisfy { state.acknowledged.isSubset(of: $0) } }
    }

    /// Adds the chat figures to `report`.
    func fill(_ report: inout FuzzReport) {
        state.withLock { state in
            let delivered = state.acknowledged.filter { key in state.received.allSatisfy { $0.contains(key) } }.count
            report.chatSent = state.sent
            report.chatAcknowledged = state.acknowledged.count
            report.chatDelivered = delivered
            report.chatMissed = state.acknowledged.count - delivered
            report.chatUnacknowledged = state.sent - state.acknowledged.count
            report.chatDisconnects = state.disconnects
        }
    }
}
