public import NIOCore
public import SiteflowRealtime
import SiteflowWebSocketCodec

/// The frames a long-poll POST carries (Phoenix's long-poll transport): the body is one text
/// frame, or — with `Content-Type: application/x-ndjson` — a batch of lines, each a JSON text
/// frame (starting with `[` or `{`) or a base64-encoded binary frame. A line may end in CRLF;
/// empty lines are skipped.
///
/// Guarantees: text frames are valid UTF-8; a batch holds at least one and at most `maxBatch`
/// frames; a binary frame is not empty. Anything else is a ``Malformed`` error whose reason the
/// server sends with its 400.
public enum LongPollRequestBody {
    /// Why a body was refused (the reason of the 400 reply).
    public struct Malformed: Error, Sendable, Equatable {
        /// A short reason for the client.
        public var reason: String
    }

    /// The frames in `body`, sent with the `contentType` header, in order.
    /// - Throws: ``Malformed`` for an empty body or batch, a batch of more than `maxBatch`
    ///   frames, text that is not UTF-8, or a line that is neither JSON nor base64.
    public static func frames(in body: ByteBuffer, contentType: String?, maxBatch: Int) throws(Malformed) -> [TransportFrame] {
        let isBatch = contentType?.lowercased().hasPrefix("application/x-ndjson") ?? false
        guard isBatch else {
            guard body.readableBytes > 0 else { throw Malformed(reason: "empty long-poll POST: expected one frame") }
            guard body.withUnsafeReadableBytes({ UTF8Validation.isValid($0) }) else {
                throw Malformed(reason: "the frame is not valid UTF-8")
            }
            return [.text(body)]
        }
        var frames: [TransportFrame] = []
        var rest = body
        while rest.readableBytes > 0 {
            let lineLength = rest.readableBytesView.firstIndex(of: UInt8(ascii: "\n")).map { $0 - rest.readerIndex } ?? rest.readableBytes
            guard var line = rest.readSlice(length: lineLength) else { break }
            rest.moveReaderIndex(forwardBy: min(1, rest.readableBytes))
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            guard line.readableBytes > 0 else { continue }
            guard frames.count < maxBatch else {
                throw Malformed(reason: "a long-poll batch carries at most \(maxBatch) frames")
            }
            if line.readableBytesView.first == UInt8(ascii: "[") || line.readableBytesView.first == UInt8(ascii: "{") {
                guard line.withUnsafeReadableBytes({ UTF8Validation.isValid($0) }) else {
                    throw Malformed(reason: "line \(frames.count + 1) is not valid UTF-8")
                }
                frames.append(.text(line))
            } else {
                guard let bytes = Base64.decode(line.readableBytesView) else {
                    throw Malformed(reason: "line \(frames.count + 1) is neither a JSON frame nor base64")
                }
                guard !bytes.isEmpty else { throw Malformed(reason: "line \(frames.count + 1) is an empty binary frame") }
                frames.append(.binary(ByteBuffer(bytes: bytes)))
            }
        }
        guard !frames.isEmpty else { throw Malformed(reason: "empty long-poll batch") }
        return frames
    }
}
