public import NIOCore

/// The payload of a close frame (RFC 6455 §5.5.1): empty, or a two-byte code followed by a
/// UTF-8 reason. Decoding checks both ends' rules: the code is one a peer may send (§7.4) and
/// the reason is UTF-8.
public struct WebSocketCloseBody: Sendable, Equatable {
    /// The close code, `nil` when the frame carried none.
    public var code: UInt16?
    /// The reason (empty when there is none).
    public var reason: String

    /// A close body with `code` and `reason`.
    public init(code: UInt16?, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// Whether `code` may appear in a close frame (RFC 6455 §7.4.1–2 and IANA's registry):
    /// 1000–1003, 1007–1014 and 3000–4999. 1004–1006 and 1015 are reserved or never sent;
    /// 1016–2999 are reserved for the protocol; 5000 and above are undefined.
    public static func isValidCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    /// Decodes a close frame's payload.
    /// - Throws: ``WebSocketProtocolViolation``: 1002 for a one-byte payload or a code no peer
    ///   may send, 1007 for a reason that is not UTF-8.
    public init(decoding payload: ByteBuffer) throws(WebSocketProtocolViolation) {
        var payload = payload
        guard payload.readableBytes != 1 else { throw WebSocketProtocolViolation.protocolError("close frame with a one-byte payload") }
        guard let raw = payload.readInteger(as: UInt16.self) else {
            self.init(code: nil)
            return
        }
        guard Self.isValidCode(raw) else { throw WebSocketProtocolViolation.protocolError("invalid close code \(raw)") }
        guard payload.withUnsafeReadableBytes({ UTF8Validation.isValid($0) }) else {
            throw WebSocketProtocolViolation.invalidPayload("close reason is not valid UTF-8")
        }
        self.init(code: raw, reason: payload.readString(length: payload.readableBytes) ?? "")
    }

    /// Appends the payload: nothing without a code, else the code and as much of the reason as
    /// fits a control frame (123 bytes, cut at a character boundary).
    public func write(into buffer: inout ByteBuffer) {
        guard let code else { return }
        buffer.writeInteger(code)
        var length = 0
        for character in reason.unicodeScalars {
            let size = UTF8.width(character)
            guard length + size <= 123 else { break }
            length += size
        }
        buffer.writeBytes(reason.utf8.prefix(length))
    }
}
