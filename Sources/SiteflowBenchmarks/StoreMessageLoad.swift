import Foundation
import SiteflowStore
import Synchronization

/// Drives chat messages through a ``MessageWriter`` the way the chat channel does
/// (``MessageWriter/submit(_:onCommit:)``: queued at once, acknowledged by a callback on the
/// writer's commit loop), with no task and no timer per sender, so the benchmark's own
/// scheduling does not compete with the writer for the CPU (1,000 sleeping tasks had cost more
/// CPU than SQLite itself: 20,000 timer wake-ups a second).
///
/// - Closed loop: each sender has one message in flight; its acknowledgement sends its next one,
///   until the deadline. Latency runs from the submission to the acknowledgement.
/// - Open loop: one driver thread submits message *i* at `start + i / rate` (it looks every
///   0.2 ms), the senders taking turns; latency runs from that scheduled time to the
///   acknowledgement, so a stall is counted in full however many messages it holds up.
struct StoreMessageLoad: Sendable {
    /// What one run measured.
    struct Outcome {
        /// Acknowledgement latencies in nanoseconds, sorted.
        var latencies: [Int64]
        /// Acknowledged messages per second.
        var rate: Double
        /// Messages whose commit failed.
        var failures: Int
    }

    let writer: MessageWriter
    let senders: Int
    let duration: Duration
    let keys: StoreBenchmark.MessageKeys
    /// The start of every sender's client id (base36 milliseconds since 1970, as the chat page's).
    private let clientPrefix = String(Int64(Date().timeIntervalSince1970 * 1000), radix: 36)

    /// Counts and latencies, written from the writer's callbacks (one lock per acknowledgement);
    /// `remaining` units of work (senders in closed loop, messages in open loop) end the run.
    private final class Tally: Sendable {
        private struct State {
            var latencies: [Int64] = []
            var failures = 0
            var lastAck: ContinuousClock.Instant?
            var remaining: Int
            var waiter: CheckedContinuation<Void, Never>?
        }

        private let state: Mutex<State>

        init(remaining: Int) { state = Mutex(State(remaining: remaining)) }

        /// Records one outcome; if `finishes`, it also ends one unit of work.
        func record(_ result: Result<ChatMessage, StoreError>?, since start: ContinuousClock.Instant, now: ContinuousClock.Instant, finishes: Bool) {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                switch result {
                case .success:
                    let elapsed = start.duration(to: now)
                    state.latencies.append(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
                    state.lastAck = now
                case .failure, nil:
                    state.failures += 1
                }
                guard finishes else { return nil }
                state.remaining -= 1
                guard state.remaining == 0 else { return nil }
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        /// Returns once every unit of work has ended: the sorted latencies, failures and last ack.
        func finished() async -> (latencies: [Int64], failures: Int, lastAck: ContinuousClock.Instant?) {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state -> Bool in
                    if state.remaining <= 0 { return true }
                    state.waiter = continuation
                    return false
                }
                if done { continuation.resume() }
            }
            return state.withLock { ($0.latencies.sorted(), $0.failures, $0.lastAck) }
        }
    }

    /// The message sender `sender` sends as its `sequence`-th (run-unique keys when keyed).
    private func message(sender: Int, sequence: Int, run: UInt32) -> NewMessage {
        NewMessage(
            room: "room:\(sender % 50)", nickname: "sender\(sender)", body: "benchmark message number \(sequence) from \(sender)",
            idempotencyKey: key(sender: sender, sequence: sequence, run: run))
    }

    /// The idempotency key of sender `sender`'s `sequence`-th message, per ``StoreBenchmark/MessageKeys``.
    private func key(sender: Int, sequence: Int, run: UInt32) -> String? {
        switch keys {
        case .none:
            return nil
        case .every:
            return "\(run)-\(sender)-\(sequence)"
        case .sequential:
            // As the chat page: `<client id>-<zero-padded sequence>`, the client id made once per sender.
            let digits = String(sequence)
            let padded = digits.count < 8 ? String(repeating: "0", count: 8 - digits.count) + digits : digits
            return "\(clientPrefix)-\(String(run, radix: 36))\(String(sender, radix: 36))-\(padded)"
        case .random:
            return UUID().uuidString
        }
    }

    /// Runs closed loop (`rate` nil) or open loop at `rate` messages per second.
    func run(rate: Int?) async -> Outcome {
        // Runs share a database: a run's own key prefix keeps its messages from being taken for
        // idempotent retries of an earlier run's.
        let run = UInt32.random(in: .min ... .max)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: duration)
        let tally: Tally
        if let rate {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            let total = max(1, Int(Double(rate) * seconds))
            tally = Tally(remaining: total)
            let driver = Thread { [self] in
                let interval = 1.0 / Double(rate)
                var index = 0
                while index < total {
                    let now = clock.now
                    while index < total {
                        let scheduled = start.advanced(by: .seconds(interval * Double(index)))
                        if scheduled > now { break }
                        let sender = index % senders
                        submit(message(sender: sender, sequence: index / senders + 1, run: run), tally: tally, clock: clock, since: scheduled)
                        index += 1
                    }
                    usleep(200)
                }
            }
            driver.start()
        } else {
            tally = Tally(remaining: senders)
            for sender in 0..<senders {
                sendClosedLoop(sender: sender, sequence: 1, run: run, tally: tally, clock: clock, deadline: deadline)
            }
        }
        let (latencies, failures, lastAck) = await tally.finished()
        let elapsed = start.duration(to: lastAck ?? clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Outcome(latencies: latencies, rate: seconds > 0 ? Double(latencies.count) / seconds : 0, failures: failures)
    }

    /// Open loop: submits one scheduled message; its acknowledgement ends one unit of work.
    private func submit(_ message: NewMessage, tally: Tally, clock: ContinuousClock, since scheduled: ContinuousClock.Instant) {
        do {
            try writer.submit(message) { result in
                tally.record(result, since: scheduled, now: clock.now, finishes: true)
            }
        } catch {
            tally.record(nil, since: scheduled, now: clock.now, finishes: true)
        }
    }

    /// Closed loop: sends one message; its acknowledgement sends the sender's next one, until
    /// the deadline, when the sender stops.
    private func sendClosedLoop(sender: Int, sequence: Int, run: UInt32, tally: Tally, clock: ContinuousClock, deadline: ContinuousClock.Instant) {
        let sent = clock.now
        do {
            try writer.submit(message(sender: sender, sequence: sequence, run: run)) { [self] result in
                let now = clock.now
                let more = now < deadline
                tally.record(result, since: sent, now: now, finishes: !more)
                if more { sendClosedLoop(sender: sender, sequence: sequence + 1, run: run, tally: tally, clock: clock, deadline: deadline) }
            }
        } catch {
            tally.record(nil, since: sent, now: clock.now, finishes: true)
        }
    }
}
