/// One message between a node and an isolated worker: a 13-byte header and an encoded payload.
///
/// Layout: a 4-byte little-endian length of what follows it, a 1-byte ``Kind``, an 8-byte
/// little-endian call number (0 when the kind has none), then the payload (see
/// ``IsolationCodec``). Length-prefixed, so a reader knows a frame's size before it reads it and
/// can refuse one above its limit without buffering it.
struct IsolationFrame: Sendable, Equatable {
    /// What a frame carries.
    enum Kind: UInt8, Sendable {
        /// Node → worker, first frame: the server's encoded initial state.
        case start = 1
        /// Node → worker: a call (numbered).
        case call = 2
        /// Node → worker: a cast.
        case cast = 3
        /// Node → worker: an info message.
        case info = 4
        /// Worker → node: the reply to call `id`.
        case reply = 16
        /// Worker → node: call `id` failed in the worker; the payload is the error's text.
        case callFailed = 17
        /// Worker → node: the server ended; payload: 1 byte (1: orderly) and the reason's text.
        case exit = 18
    }

    /// Bytes before the payload: length (4), kind (1), call number (8).
    static let headerSize = 13

    var kind: Kind
    var id: UInt64
    var payload: [UInt8]

    /// The frame as bytes on the wire.
    var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.headerSize + payload.count)
        let length = UInt32(9 + payload.count)
        withUnsafeBytes(of: length.littleEndian) { out.append(contentsOf: $0) }
        out.append(kind.rawValue)
        withUnsafeBytes(of: id.littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: payload)
        return out
    }
}

/// Why a byte stream could not be read as frames.
public struct IsolationFrameError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case tooLarge(Int, limit: Int)
        case unknownKind(UInt8)
        case tooShort(Int)
    }
    private let code: Code

    /// A frame announced `size` bytes, more than the configured limit.
    public static func tooLarge(_ size: Int, limit: Int) -> IsolationFrameError { IsolationFrameError(code: .tooLarge(size, limit: limit)) }
    /// A frame's kind byte is not one the protocol knows.
    public static func unknownKind(_ kind: UInt8) -> IsolationFrameError { IsolationFrameError(code: .unknownKind(kind)) }
    /// A frame announced fewer bytes than its header needs.
    public static func tooShort(_ size: Int) -> IsolationFrameError { IsolationFrameError(code: .tooShort(size)) }

    public var description: String {
        switch code {
        case .tooLarge(let size, let limit): return "a frame of \(size) bytes exceeds the limit of \(limit) bytes"
        case .unknownKind(let kind): return "a frame of unknown kind \(kind)"
        case .tooShort(let size): return "a frame of \(size) bytes is shorter than its header"
        }
    }
}

/// Cuts a byte stream into frames: bytes go in as they are read, whole frames come out. A frame
/// larger than `limit` is refused from its header alone, before its bytes are buffered.
struct IsolationFrameReader {
    private var buffer: [UInt8] = []
    private var start = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Adds bytes read from the stream.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, nil if more bytes are needed.
    /// - Throws: ``IsolationFrameError`` for a frame too large, too short or of unknown kind.
    mutating func next() throws(IsolationFrameError) -> IsolationFrame? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length = Int(UInt32(buffer[start]) | UInt32(buffer[start + 1]) << 8 | UInt32(buffer[start + 2]) << 16 | UInt32(buffer[start + 3]) << 24)
        guard length >= 9 else { throw .tooShort(length) }
        guard length - 9 <= limit else { throw .tooLarge(length - 9, limit: limit) }
        guard available >= 4 + length else { return nil }
        guard let kind = IsolationFrame.Kind(rawValue: buffer[start + 4]) else { throw .unknownKind(buffer[start + 4]) }
        var id: UInt64 = 0
        for offset in 0..<8 { id |= UInt64(buffer[start + 5 + offset]) << (8 * UInt64(offset)) }
        let payload = Array(buffer[(start + 13)..<(start + 4 + length)])
        start += 4 + length
        return IsolationFrame(kind: kind, id: id, payload: payload)
    }
}
