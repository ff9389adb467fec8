/// The last lines a child OS process wrote (its log, and after a crash its backtrace): at most
/// `capacity` lines of at most 4 KiB each. Used for an isolated worker's exit reason and the node
/// supervisor's crash reports.
package struct OutputTail: Sendable {
    /// The complete lines kept, oldest first.
    package private(set) var lines: [String] = []
    private var partial: [UInt8] = []
    package let capacity: Int

    package init(capacity: Int) { self.capacity = capacity }

    /// Adds bytes as read from the pipe; complete lines enter the tail.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(String(decoding: partial, as: UTF8.self))
                partial.removeAll(keepingCapacity: true)
                if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
            } else if partial.count < 4096 {
                partial.append(byte)
            }
        }
    }

    /// The lines kept, with an unfinished last line if there is one.
    package var linesWithPartial: [String] {
        partial.isEmpty ? lines : lines + [String(decoding: partial, as: UTF8.self)]
    }
}
