import Histogram
import NIOCore
import Synchronization

/// Counters and histograms of the clients of one event loop (one per loop, so that the loops do
/// not contend for one lock on every received frame; ``LoadTestStatisticsGroup`` adds them up).
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

    /// One broadcast frame received `micros` after its push; `isOwn` when this client pushed it
    /// (then it is also a delivery, and its round trip counts as latency).
    func recordBroadcast(micros: UInt64, isOwn: Bool) {
        state.withLock {
            $0.result.received += 1
            _ = $0.result.fanoutLatency.record(micros)
            if isOwn {
                $0.result.delivered += 1
                _ = $0.result.latency.record(micros)
                _ = $0.interval.record(micros)
            }
        }
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

/// The statistics of all of a process's event loops, added up when read.
struct LoadTestStatisticsGroup: Sendable {
    private let members: [ObjectIdentifier: LoadTestStatistics]
    private let others: [LoadTestStatistics]

    /// One ``LoadTestStatistics`` for each of `loops`, and `others` (the listeners') added in.
    init(loops: [any EventLoop], others: [LoadTestStatistics] = []) {
        var members: [ObjectIdentifier: LoadTestStatistics] = [:]
        for loop in loops { members[ObjectIdentifier(loop)] = LoadTestStatistics() }
        self.members = members
        self.others = others
    }

    private var all: [LoadTestStatistics] { Array(members.values) + others }

    /// The statistics of the clients on `loop`.
    func statistics(for loop: any EventLoop) -> LoadTestStatistics? {
        members[ObjectIdentifier(loop)]
    }

    /// The totals so far and the latencies recorded since the previous call, over all loops.
    func takeProgress() -> LoadTestStatistics.Progress {
        var total: LoadTestStatistics.Progress?
        for member in all {
            let progress = member.takeProgress()
            if total == nil {
                total = progress
            } else {
                total?.result.merge(progress.result)
                total?.interval.add(progress.interval)
            }
        }
        return total ?? LoadTestStatistics().takeProgress()
    }

    /// The totals so far, over all loops.
    var result: LoadTestResult {
        var total = LoadTestResult()
        for member in all { total.merge(member.result) }
        return total
    }
}
