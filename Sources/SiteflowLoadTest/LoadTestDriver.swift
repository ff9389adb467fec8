import NIOCore

/// Paces the pushes of the clients that live on one event loop: every tick it sends what the
/// loop's share of the aggregate rate says is due, round-robin over its joined clients. No task
/// per client; the driver's state is confined to its event loop.
final class LoadTestDriver: @unchecked Sendable {
    // @unchecked Sendable: every `var` is touched only on `eventLoop`.
    let eventLoop: any EventLoop
    private var clients: [LoadTestClient] = []
    private var cursor = 0
    private var sent = 0
    private var startedAt: NIODeadline?
    private var ticker: RepeatedTask?
    private var heartbeats: RepeatedTask?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Adds a joined client. Event loop only.
    func add(_ client: LoadTestClient) {
        clients.append(client)
    }

    /// Starts sending `rate` pushes per second (this loop's share) and heartbeats every 25 s.
    func start(rate: Double) {
        eventLoop.execute {
            self.heartbeats = self.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(25), delay: .seconds(25)) { _ in
                for client in self.clients { client.heartbeat() }
            }
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
        let due = Int(elapsed * rate) - sent
        // Never more than one push per client per tick: a stalled loop does not burst.
        var budget = min(due, clients.count)
        while budget > 0 {
            cursor = cursor >= clients.count ? 0 : cursor
            clients[cursor].push()
            cursor += 1
            sent += 1
            budget -= 1
        }
        if due > clients.count { sent += due - clients.count }
    }

    /// Stops sending (heartbeats go on until `close`).
    func stopSending() -> EventLoopFuture<Void> {
        eventLoop.submit {
            self.ticker?.cancel()
            self.ticker = nil
        }
    }

    /// Closes every client. 
    func close() -> EventLoopFuture<Void> {
        eventLoop.submit {
            self.heartbeats?.cancel()
            self.heartbeats = nil
            for client in self.clients { client.stop() }
        }
    }
}
