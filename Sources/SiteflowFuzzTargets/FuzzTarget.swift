import Foundation
import NIOCore
import SiteflowRealtime
import SiteflowServer
import SiteflowStore

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
}
