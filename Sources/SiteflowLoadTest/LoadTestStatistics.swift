import Histogram
import Synchronization

/// Counters and histograms shared by every client of one load-test process.
final class LoadTestStatistics: Sendable {
    struct Progress {
        var result: LoadTestResult
        var interval: Histogram<UInt64>
    }

    private let state = Mutex(Progress(
        result: LoadTestResult(),
        interval: Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .two)
    ))

    func update(_ change: (inout LoadTestResult) -> Void) {
        state.withLock { change(&$0.result) }
    }

    func recordDelivery(micros: UInt64) {
        state.withLock {
            $0.result.delivered += 1
            $0.result.received += 1
            _ = $0.result.latency.record(micros)
            _ = $0.interval.record(micros)
        }
    }

    func recordFanout(micros: UInt64) {
        state.withLock { _ = $0.result.fanoutLatency.record(micros) }
    }

    func recordReply(micros: UInt64?, ok: Bool) {
        state.withLock {
            if let micros { _ = $0.result.replyLatency.record(micros) }
            if !ok { $0.result.errorReplies += 1 }
        }
    }

    /// The totals so far and the latencies recorded since the previous call.
    func takeProgress() -> Progress {
        state.withLock { state in
            let progress = state
            state.interval.reset()
            return progress
        }
    }

    var result: LoadTestResult { state.withLock { $0.result } }
}
