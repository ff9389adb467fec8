import Foundation
import NIOCore
import SiteflowRealtime
import SiteflowServer
import SiteflowStore
import SiteflowWebSocketCodec

/// The parsers a client (or an operator's configuration) can feed, each as a fuzzing target:
/// any bytes must give a value or a typed error — never a trap, a hang or a value that does not
/// survive its own round trip. `siteflow-fuzz` runs them under libFuzzer (built with
/// `-sanitize=fuzzer`, see `scripts/fuzz.sh`) or replays a corpus through them; the test suite
/// replays the committed corpus and every crash ever found (`Fuzz/`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The JSON parser that reads every inbound frame.
    case json
    /// The Phoenix serializers' decoders (V1 and V2 JSON, V2 binary pushes).
    case phoenix
    /// An HTTP request target: path and percent-decoded query.
    case requestTarget = "request-target"
    /// The cron expression parser (job schedules).
    case cron
    /// `--database` URLs.
    case databaseURL = "database-url"
    /// The WebSocket frame codec, in both roles (a server reading client frames, a client
    /// reading server frames), with close-frame payloads.
    case webSocketFrame = "websocket-frame"
    /// A long-poll POST body: one text frame, or an NDJSON batch of JSON and base64 lines.
    case longPollBody = "longpoll-body"

    /// Why an input broke a target's promise (reported as a crash by the fuzzer).
    public struct Violation: Error, CustomStringConvertible {
        /// What went wrong, for the report.
        public var description: String
    }

    /// Feeds `bytes` to the target.
    /// - Throws: ``Violation`` when a parsed value does not survive its round trip.
    public func run(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        switch self {
        case .json: try Self.json(bytes)
        case .phoenix: try Self.phoenix(bytes)
        case .requestTarget: Self.requestTarget(bytes)
        case .cron: try Self.cron(bytes)
        case .databaseURL: try Self.databaseURL(bytes)
        case .webSocketFrame: try Self.webSocketFrame(bytes)
        case .longPollBody: try Self.longPollBody(bytes)
        }
    }

    /// Feeds `bytes` to the target; the broken promise, if any.
    public func check(_ bytes: [UInt8]) -> Violation? {
        bytes.withUnsafeBytes { raw -> Violation? in
            do throws(Violation) {
                try run(raw)
                return nil
            } catch {
                return error
            }
        }
    }

    /// Parsed JSON encodes to text that parses again and encodes to the same bytes.
    private static func json(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        guard let value = try? JSONValue(parsing: bytes) else { return }
        let encoded = value.encoded()
        guard let again = try? JSONValue(parsing: encoded) else {
            throw Violation(description: "encoded JSON does not parse: \(String(buffer: encoded))")
        }
        guard again.encoded() == encoded else { throw Violation(description: "JSON encoding is not stable: \(String(buffer: encoded))") }
    }

    /// Any frame decodes to a message or a typed error; a message decoded from JSON text encodes,
    /// and the encoding decodes to the same message. (A binary frame is a client's push, whose
    /// shape differs from what the server sends, so it has no round trip to check.)
    private static func phoenix(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        for serializer in PhoenixSerializer.allCases {
            _ = try? serializer.decode(.binary(buffer))
            for frame in [TransportFrame.text(buffer)] {
                guard let message = try? serializer.decode(frame) else { continue }
                guard let encoded = serializer.encode(message) else { continue }  // e.g. binary payloads on V1
                guard let again = try? serializer.decode(encoded), again == message else {
                    throw Violation(description: "\(serializer): \(message) does not survive encode/decode")
                }
            }
        }
    }

    /// Any URI splits into a path and a query without trapping.
    private static func requestTarget(_ bytes: UnsafeRawBufferPointer) {
        let target = RequestTarget(uri: String(decoding: bytes, as: UTF8.self))
        _ = (target.path.utf8.count, target.query.count)
    }

    /// A parsed cron expression prints as text that parses to the same expression, and its
    /// next fire time can be asked for.
    private static func cron(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        guard let expression = try? CronExpression(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        guard let again = try? CronExpression(parsing: expression.description), again == expression else {
            throw Violation(description: "cron \(expression.description) does not parse back to itself")
        }
        _ = expression.nextFire(after: Date(timeIntervalSince1970: 1_764_979_200))
    }

    /// A parsed database URL names SQLite or PostgreSQL, and a SQLite one prints back to itself.
    private static func databaseURL(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        guard let url = try? DatabaseURL(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        if case .sqlite = url {
            guard let again = try? DatabaseURL(parsing: url.description), again == url else {
                throw Violation(description: "\(url) does not parse back to itself")
            }
        }
    }

    /// Any bytes read by either end's parser give frames, a need for more bytes (nothing
    /// consumed) or a typed violation (nothing consumed). Each frame, written by the peer's
    /// writer, is read back as the same frame; a close frame's payload decodes to a body or a
    /// typed violation, and a body written out decodes to itself.
    private static func webSocketFrame(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        for role in [WebSocketRole.server, .client] {
            let parser = WebSocketFrameParser(role: role, maxPayloadSize: 1 << 16)
            let peer = WebSocketFrameWriter(role: role == .server ? .client : .server)
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            while true {
                let before = buffer.readerIndex
                let outcome = parser.next(from: &buffer)
                guard case .frame(let frame) = outcome else {
                    guard buffer.readerIndex == before else { throw Violation(description: "\(role): \(outcome) consumed bytes") }
                    break
                }
                guard buffer.readerIndex > before else { throw Violation(description: "\(role): a frame consumed nothing") }
                var again = peer.frame(fin: frame.fin, opcode: frame.opcode, payload: frame.payload)
                let reread = parser.next(from: &again)
                guard reread == .frame(frame), again.readableBytes == 0 else {
                    throw Violation(description: "\(role): \(frame) written by the peer reads back as \(reread)")
                }
                if frame.opcode == .close { try closeBody(frame.payload) }
            }
        }
    }

    private static func closeBody(_ payload: ByteBuffer) throws(Violation) {
        guard let body = try? WebSocketCloseBody(decoding: payload) else { return }
        var written = ByteBuffer()
        body.write(into: &written)
        guard let again = try? WebSocketCloseBody(decoding: written), again == body else {
            throw Violation(description: "close body \(body) does not survive write/decode")
        }
    }

    /// Any body, plain or sent as an NDJSON batch, gives frames or a typed error. A batch's
    /// frames follow the rules (text: non-empty UTF-8 starting with `[` or `{`, no line feed;
    /// binary: not empty), and written back as NDJSON (binary as base64, each line ended by
    /// CRLF, of which the parser strips the CR) they parse to the same frames; a plain body is
    /// one text frame of the same bytes.
    private static func longPollBody(_ bytes: UnsafeRawBufferPointer) throws(Violation) {
        var body = ByteBufferAllocator().buffer(capacity: bytes.count)
        body.writeBytes(bytes)
        if let frames = try? LongPollRequestBody.frames(in: body, contentType: "text/plain", maxBatch: 64) {
            guard frames == [.text(body)] else { throw Violation(description: "a plain body is not one text frame of its bytes") }
        }
        guard let frames = try? LongPollRequestBody.frames(in: body, contentType: "application/x-ndjson", maxBatch: 64) else { return }
        guard !frames.isEmpty, frames.count <= 64 else { throw Violation(description: "a batch of \(frames.count) frames") }
        var written = ByteBuffer()
        for frame in frames {
            switch frame {
            case .text(let text):
                let view = text.readableBytesView
                guard let first = view.first, first == UInt8(ascii: "[") || first == UInt8(ascii: "{"),
                    !view.contains(UInt8(ascii: "\n"))
                else { throw Violation(description: "a batch's text frame breaks the rules: \(String(buffer: text))") }
                written.writeImmutableBuffer(text)
            case .binary(let binary):
                guard binary.readableBytes > 0 else { throw Violation(description: "an empty binary frame") }
                written.writeBytes(Base64.encode(binary.readableBytesView))
            }
            written.writeString("\r\n")
        }
        guard let again = try? LongPollRequestBody.frames(in: written, contentType: "application/x-ndjson", maxBatch: 64), again == frames else {
            throw Violation(description: "a batch does not survive NDJSON write/parse: \(String(buffer: written))")
        }
    }
}
