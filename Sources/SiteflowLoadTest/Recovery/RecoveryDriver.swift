import NIOCore

/// Paces the keyed pushes of the recovery clients on one event loop (like ``LoadTestDriver``:
/// every 5 ms what the loop's share of the rate says is due, round-robin) and sweeps them once a
/// second for timeouts, retries and heartbeats. A client that is not joined still makes its
/// message, as a user keeps typing: it is sent after the rejoin.
final class RecoveryDriver: @unchecked Sendable {
    // @unchecked Sendable: every `var` is touched only on `eventLoop`.
    let eventLoop: any EventLoop
    private var clients: [RecoveryClient] = []
    private var cursor = 0
    private var made = 0
    private var startedAt: NIODeadline?
    private var ticker: RepeatedTask?
    private var sweeper: RepeatedTask?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Adds a client. Event loop only.
    func add(_ client: RecoveryClient) {
        clients.append(client)
    }

    /// Starts the sweeps (timeouts and heartbeats). Event loop only.
    func startSweeping() {
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            for client in self.clients { client.sweep() }
        }
    }

    /// Starts making `rate` messages per second (this loop's share).
    func start(rate: Double) {
        eventLoop.execute {
            guard rate > 0 else { return }
            self.startedAt = .now()
            self.ticker = self.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(5), delay: .milliseconds(5)) { _ in
                self.tick(rate: rate)
            }
        }
    }

    private func tick(rate: Double) {
        guard let startedAt, !clients.isEmpty else { return }
        let elapsed = Double((NIODeadline.now() - startedAt).nanoseconds) / 1e9
        let due = Int(elapsed * rate) - made
        // Never more than one message per client per tick: a stalled loop does not burst.
        var budget = min(due, clients.count)
        while budget > 0 {
            cursor = cursor >= clients.count ? 0 : cursor
            clients[cursor].push()
            cursor += 1
            made += 1
            budget -= 1
        }
        if due > clients.count { made += due - clients.count }
    }

    /// Stops making messages (retries and sweeps go on until `close`).
    func stopSending() -> EventLoopFuture<Void> {
        eventLoop.submit {
            self.ticker?.cancel()
            self.ticker = nil
        }
    }

    /// Stops every client.
    func close() -> EventLoopFuture<Void> {
        eventLoop.submit {
            self.sweeper?.cancel()
            self.sweeper = nil
            for client in self.clients { client.stop() }
        }
    }
}
