import Synchronization

/// The bytes of incomplete request heads the whole server holds, against one budget, so that
/// many slow clients together cannot hold more than ``limit`` bytes.
final class RequestHeadBudget: Sendable {
    let limit: Int
    private let reserved = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Reserves `bytes`; `false` (nothing reserved) when that would pass the limit.
    func reserve(_ bytes: Int) -> Bool {
        let after = reserved.wrappingAdd(bytes, ordering: .relaxed).newValue
        guard after <= limit else {
            reserved.wrappingSubtract(bytes, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives back `bytes` reserved before.
    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        reserved.wrappingSubtract(bytes, ordering: .relaxed)
    }

    /// The bytes reserved now.
    var inUse: Int { reserved.load(ordering: .relaxed) }
}
