import Foundation
public import SiteflowRuntime

/// A small server that runs isolated in a worker OS process (``NodeIsolatedBehaviors``) and
/// carries out faults there: the target of `POST /_fault/trap-isolated`, and of the isolation
/// specs and benchmarks. A trap here ends only its worker; the node lives on and the target's
/// supervisor starts a new worker.
public struct IsolatedFaultTarget: IsolatedServer {
    /// What a caller asks the target.
    public enum Call: Codable, Sendable, Equatable {
        /// Answers `.text` with the same text.
        case echo(String)
        /// Answers `.number` with the worker's OS process id.
        case workerPID
        /// Answers `.number` with the sum of the `.add` casts handled so far.
        case total
        /// Traps (`fatalError`) while handling the call.
        case trap
        /// Blocks the worker's only scheduler thread for this many milliseconds, then answers.
        case stall(milliseconds: Int)
        /// Ends the worker OS process at once with this exit code.
        case exit(code: Int32)
    }

    /// The target's answer.
    public enum Reply: Codable, Sendable, Equatable {
        /// The answer to `.echo`.
        case text(String)
        /// The answer to `.workerPID`, `.total` and `.stall`.
        case number(Int)
    }

    /// Fire-and-forget requests.
    public enum Cast: Codable, Sendable, Equatable {
        /// Adds to the running total.
        case add(Int)
        /// Traps while handling the cast.
        case trap
    }

    /// No info messages.
    public typealias Info = Never

    /// The sum of the `.add` casts handled.
    public var total: Int

    /// A target whose total starts at `total`.
    public init(total: Int = 0) { self.total = total }

    public mutating func handleCall(_ request: Call, from caller: Caller<Reply>, context: ServerContext<Self>) throws -> CallResult<Reply> {
        switch request {
        case .echo(let text):
            return .reply(.text(text))
        case .workerPID:
            return .reply(.number(Int(getpid())))
        case .total:
            return .reply(.number(total))
        case .trap:
            fatalError("fault injection: a trap requested in an isolated process")
        case .stall(let milliseconds):
            Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
            return .reply(.number(milliseconds))
        case .exit(let code):
            Foundation.exit(code)
        }
    }

    public mutating func handleCast(_ message: Cast, context: ServerContext<Self>) throws {
        switch message {
        case .add(let amount):
            total += amount
        case .trap:
            fatalError("fault injection: a trap requested in an isolated process")
        }
    }
}
