import Synchronization
@testable import SiteflowRuntime

/// A `TableClock` for tests: time only moves when `advance(by:)` is called.
final class ManualTableClock: TableClock {
    private let current: Mutex<UInt64>

    init(start: UInt64 = 1_000) {
        current = Mutex(start)
    }

    func now() -> UInt64 {
        current.withLock { $0 }
    }

    func advance(byNanoseconds nanoseconds: UInt64) {
        current.withLock { $0 += nanoseconds }
    }

    func advance(by duration: Duration) {
        advance(byNanoseconds: duration.tableNanoseconds)
    }
}
