import CSiteflowRuntime
import SiteflowRuntime
import Synchronization
import Dispatch

/// Temporary smoke benchmark (replaced by the full suite).
public enum QuickRing {
    final class Done: Sendable {
        let flag = Atomic<Int>(0)
        let semaphore = DispatchSemaphore(value: 0)
    }
    enum Message: Sendable { case next(PID<Message>), token(Int) }
    struct Node: Behavior {
        var next: PID<Message>?
        let done: Done
        mutating func handle(_ message: Message, context: ProcessContext<Message>) throws {
            switch message {
            case .next(let pid): next = pid
            case .token(let n):
                if n == 0 { done.semaphore.signal(); return }
                next?.send(.token(n - 1))
            }
        }
    }

    public static func run(processes: Int, hops: Int, tokens: Int = 1) throws -> Double {
        let runtime = Runtime()
        defer { runtime.shutdown() }
        let done = Done()
        var pids: [PID<Message>] = []
        for _ in 0..<processes { pids.append(try runtime.spawn(Node(next: nil, done: done))) }
        for i in 0..<processes { pids[i].send(.next(pids[(i + 1) % processes])) }
        while runtime.messagesHandled < processes { sf_cpu_relax() }
        let start = sf_now_ns()
        for t in 0..<tokens { pids[(t * (processes / tokens)) % processes].send(.token(hops / tokens)) }
        done.semaphore.wait()
        let elapsed = Double(sf_now_ns() - start) / 1e9
        return Double(hops) / elapsed
    }
}
