import NIOCore
import SiteflowRealtime
import Synchronization

/// One parked long-poll GET: answered exactly once, on its HTTP connection's event loop, with
/// frames, "nothing yet" (204) or "session gone" (410).
final class LongPollWaiter: Sendable {
    /// How a parked poll ends.
    enum Outcome: Sendable {
        case messages([TransportFrame])
        case noContent
        case gone
    }

    private let eventLoop: any EventLoop
    private let answer: Mutex<(@Sendable (Outcome) -> Void)?>

    init(eventLoop: any EventLoop, answer: @escaping @Sendable (Outcome) -> Void) {
        self.eventLoop = eventLoop
        self.answer = Mutex(answer)
    }

    /// Answers the poll, once; later calls do nothing.
    func resolve(_ outcome: Outcome) {
        guard let answer = answer.withLock({ slot -> (@Sendable (Outcome) -> Void)? in
            defer { slot = nil }
            return slot
        }) else { return }
        if eventLoop.inEventLoop {
            answer(outcome)
        } else {
            eventLoop.execute { answer(outcome) }
        }
    }
}
