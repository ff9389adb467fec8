import Synchronization

/// The campaign's shared counters: the frame budget the workers draw from, and the report they
/// add their connections' outcomes to. Workers count per connection and add once at its end.
final class FuzzTally: Sendable {
    private struct State {
        var report = FuzzReport()
        var reserved = 0
    }

    private let state = Mutex(State())
    private let budget: Int

    /// A tally of at most `budget` frames.
    init(budget: Int) {
        self.budget = budget
    }

    /// Takes up to `count` frames from the budget; `0` once it is spent.
    func reserve(_ count: Int) -> Int {
        state.withLock { state in
            let granted = max(0, min(count, budget - state.reserved))
            state.reserved += granted
            return granted
        }
    }

    /// `true` once every frame of the budget has been taken.
    var isSpent: Bool { state.withLock { $0.reserved >= budget } }

    /// Frames taken so far.
    var framesReserved: Int { state.withLock { $0.reserved } }

    /// Adds to the report.
    func update(_ change: (inout FuzzReport) -> Void) {
        state.withLock { change(&$0.report) }
    }

    /// The report so far.
    var report: FuzzReport { state.withLock { $0.report } }
}
