import SiteflowRuntime
import Synchronization

/// The last lines a node wrote to its standard error (its log, and after a crash its backtrace),
/// kept for the crash report. Bounded: at most `capacity` lines of at most 4 KiB each
/// (``SiteflowRuntime/OutputTail``, shared with isolated workers, behind a lock).
final class NodeOutputTail: Sendable {
    private let state: Mutex<OutputTail>

    init(capacity: Int) { state = Mutex(OutputTail(capacity: capacity)) }

    /// Adds bytes as read from the pipe; complete lines enter the tail.
    func append(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { $0.append(bytes) }
    }

    /// The lines kept so far, oldest first (with an unfinished last line, if any).
    var lines: [String] { state.withLock { $0.linesWithPartial } }
}
