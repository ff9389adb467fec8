import Synchronization

/// The last lines a node wrote to its standard error (its log, and after a crash its backtrace),
/// kept for the crash report. Bounded: at most `capacity` lines of at most 4 KiB each.
final class NodeOutputTail: Sendable {
    private struct State {
        var lines: [String] = []
        var partial: [UInt8] = []
    }
    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Adds bytes as read from the pipe; complete lines enter the tail.
    func append(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { state in
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    state.lines.append(String(decoding: state.partial, as: UTF8.self))
                    state.partial.removeAll(keepingCapacity: true)
                    if state.lines.count > capacity { state.lines.removeFirst(state.lines.count - capacity) }
                } else if state.partial.count < 4096 {
                    state.partial.append(byte)
                }
            }
        }
    }

    /// The lines kept so far, oldest first (with an unfinished last line, if any).
    var lines: [String] {
        state.withLock { state in
            state.partial.isEmpty ? state.lines : state.lines + [String(decoding: state.partial, as: UTF8.self)]
        }
    }
}
