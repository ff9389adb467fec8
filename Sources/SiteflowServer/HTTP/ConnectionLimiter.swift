import Synchronization

/// Caps the TCP connections a server holds: in total and per client address. A connection is
/// admitted at accept and released when its channel closes.
final class ConnectionLimiter: Sendable {
    /// Why a connection was not admitted.
    enum Refusal: Sendable {
        /// The server holds ``ConnectionLimiter/maxTotal`` connections (answered 503).
        case serverFull
        /// The address holds ``ConnectionLimiter/maxPerAddress`` connections (answered 429).
        case addressFull
    }

    private struct State {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    let maxTotal: Int
    let maxPerAddress: Int
    private let state = Mutex(State())

    init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
    }

    /// Admits a connection from `address` (its IP, without the port), or says why not. An
    /// admitted connection must be ``release(_:)``d exactly once.
    func admit(_ address: String) -> Refusal? {
        state.withLock { state in
            guard state.total < maxTotal else { return .serverFull }
            let held = state.perAddress[address, default: 0]
            guard held < maxPerAddress else { return .addressFull }
            state.total += 1
            state.perAddress[address] = held + 1
            return nil
        }
    }

    /// An admitted connection from `address` closed.
    func release(_ address: String) {
        state.withLock { state in
            state.total -= 1
            let held = state.perAddress[address, default: 1] - 1
            if held > 0 {
                state.perAddress[address] = held
            } else {
                state.perAddress.removeValue(forKey: address)
                // A flood from many addresses leaves a large table behind; give it back once
                // it is mostly empty.
                if state.perAddress.capacity > 1024, state.perAddress.count * 8 < state.perAddress.capacity {
                    var smaller = [String: Int](minimumCapacity: state.perAddress.count)
                    for (address, count) in state.perAddress { smaller[address] = count }
                    state.perAddress = smaller
                }
            }
        }
    }

    /// How many connections are open.
    var openConnections: Int { state.withLock { $0.total } }
}
