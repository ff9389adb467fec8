import Synchronization

/// The recovery mode's shared record in one process: the ``RecoveryTracker`` and the counts the
/// clients report from their event loops. Closes, joins and acknowledgements take one lock each;
/// they are a few thousand per second at most.
final class RecoveryRecorder: Sendable {
    private struct State {
        var tracker: RecoveryTracker
        var result = RecoveryResult()
        var joined = 0
        var pending = 0
        var connected = 0
        var connectFailures = 0
        var intervalRoundTrips: [UInt64] = []
    }

    private let state: Mutex<State>

    init(clients: Int) {
        var initial = State(tracker: RecoveryTracker(clients: clients))
        initial.result.clients = clients
        state = Mutex(initial)
    }

    /// Steady state: closes from now on open disconnect events.
    func watch(sendingStartedAt: UInt64) {
        state.withLock {
            $0.tracker.watch()
            $0.result.sendingStartedAt = sendingStartedAt
        }
    }

    func opened(reconnect: Bool) {
        state.withLock {
            $0.connected += 1
            if reconnect { $0.result.reconnects += 1 }
        }
    }

    func connectFailed() {
        state.withLock { $0.connectFailures += 1 }
    }

    func joined(_ client: Int, at instant: UInt64, rejoin: Bool) {
        state.withLock {
            $0.joined += 1
            if rejoin { $0.result.rejoins += 1 }
            $0.tracker.clientJoined(client, at: instant)
        }
    }

    /// A joined client lost its socket or its channel.
    func wentDown(_ client: Int, at instant: UInt64) {
        state.withLock {
            $0.joined -= 1
            $0.tracker.clientWentDown(client, at: instant)
        }
    }

    func joinRefused(_ reason: String) {
        state.withLock { $0.result.joinRefusals[reason, default: 0] += 1 }
    }

    func joinTimedOut() {
        state.withLock { $0.result.joinTimeouts += 1 }
    }

    func closedNormallyByServer() {
        state.withLock { $0.result.closedNormallyByServer += 1 }
    }

    func created() {
        state.withLock {
            $0.result.messages += 1
            $0.pending += 1
        }
    }

    func sent(resend: Bool) {
        state.withLock {
            $0.result.sends += 1
            if resend { $0.result.resends += 1 }
        }
    }

    func acknowledged(topic: String, id: Int, sentAt: UInt64, now: UInt64) {
        let micros = now > sentAt ? (now - sentAt) / 1000 : 0
        state.withLock {
            $0.result.acknowledged += 1
            $0.pending -= 1
            $0.result.acknowledgedIDs[topic, default: []].append(id)
            $0.result.roundTrips.record(sentAt: sentAt, micros: micros)
            $0.intervalRoundTrips.append(micros)
        }
    }

    func unavailable() {
        state.withLock { $0.result.unavailableReplies += 1 }
    }

    func failedForGood(_ reason: String) {
        state.withLock {
            $0.pending -= 1
            $0.result.failedForGood[reason, default: 0] += 1
        }
    }

    /// Clients joined and messages still pending.
    var progress: (joined: Int, pending: Int, down: Int, connected: Int, connectFailures: Int, result: RecoveryResult) {
        state.withLock { ($0.joined, $0.pending, $0.tracker.clientsDown, $0.connected, $0.connectFailures, $0.result) }
    }

    /// The p99 of the round trips recorded since the last call, in µs.
    func takeIntervalP99() -> UInt64? {
        let values = state.withLock { state -> [UInt64] in
            defer { state.intervalRoundTrips = [] }
            return state.intervalRoundTrips
        }
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((0.99 * Double(sorted.count)).rounded(.up)) - 1)]
    }

    /// Records the disruption the load tester triggered.
    func disrupted(_ disruption: Disruption, at instant: UInt64?, error: String?) {
        state.withLock {
            $0.result.disruption = disruption
            $0.result.disruptedAt = instant
            $0.result.disruptionError = error
        }
    }

    /// Closes the open event and returns the result (`unresolved` messages are those still
    /// pending).
    func finish() -> (result: RecoveryResult, connected: Int, connectFailures: Int) {
        state.withLock {
            var result = $0.result
            result.events = $0.tracker.finish()
            result.unresolved = $0.pending
            result.joinedAtEnd = $0.joined
            return (result, $0.connected, $0.connectFailures)
        }
    }
}
