#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The worker's side of the socket pair: blocking reads of frames (one reader, the worker's main
/// thread) and writes of whole frames from any thread, one at a time.
final class WorkerChannel: Sendable {
    private let descriptor: CInt
    private let writeLock = Mutex(())
    private let reader: Mutex<IsolationFrameReader>

    init(descriptor: CInt, frameLimit: Int) {
        self.descriptor = descriptor
        self.reader = Mutex(IsolationFrameReader(limit: frameLimit))
    }

    /// The next frame; nil at the end of the stream (the node closed it, or died).
    /// - Throws: ``IsolationFrameError`` for a frame the protocol does not allow.
    func read() throws(IsolationFrameError) -> IsolationFrame? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let frame = try reader.withLock({ reader throws(IsolationFrameError) in try reader.next() }) { return frame }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            buffer.withUnsafeBytes { bytes in
                reader.withLock { $0.append(UnsafeRawBufferPointer(rebasing: bytes[0..<count])) }
            }
        }
    }

    /// Writes `frame` whole; false if the node is gone.
    @discardableResult
    func write(_ frame: IsolationFrame) -> Bool {
        let bytes = frame.bytes
        return writeLock.withLock { _ in
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { raw in
                    send(descriptor, raw.baseAddress.map { $0 + written }, raw.count - written, CInt(MSG_NOSIGNAL))
                }
                if result > 0 { written += result; continue }
                if result < 0 && errno == EINTR { continue }
                return false
            }
            return true
        }
    }
}
