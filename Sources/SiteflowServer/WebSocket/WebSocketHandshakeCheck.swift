import NIOHTTP1

/// The opening-handshake rules of RFC 6455 §4.2.1 that NIO's upgrader does not enforce itself,
/// as a pure function of the request headers: a request that breaks one is answered with 400,
/// the reason and the headers this returns.
enum WebSocketHandshakeCheck {
    /// Why a handshake is refused: the 400's reason, and the headers the reply must carry.
    struct Problem: Equatable {
        /// The reason sent as the 400's body.
        var reason: String
        /// Headers of the 400: `Sec-WebSocket-Version: 13` when the version was wrong or
        /// missing (RFC 6455 §4.4), so the client can retry with a version the server speaks.
        var headers: HTTPHeaders = HTTPHeaders()
    }

    /// Why `headers` are not a valid WebSocket opening handshake, or `nil` when they are.
    ///
    /// Requires a `Connection` header listing the `upgrade` token (case-insensitive, in a
    /// comma-separated list, possibly over several header lines), exactly one
    /// `Sec-WebSocket-Key` that is the base64 encoding of 16 bytes, and exactly one
    /// `Sec-WebSocket-Version: 13`.
    static func problem(in headers: HTTPHeaders) -> Problem? {
        let connectionTokens = headers[canonicalForm: "connection"]
        guard connectionTokens.contains(where: { $0.lowercased() == "upgrade" }) else {
            return Problem(reason: "invalid WebSocket upgrade: the Connection header must list \"Upgrade\"")
        }
        let keys = headers["sec-websocket-key"]
        guard keys.count == 1, let key = keys.first, isBase64OfSixteenBytes(key.trimmingSpacesAndTabs) else {
            return Problem(reason: "invalid WebSocket upgrade: Sec-WebSocket-Key must be one base64-encoded 16-byte value")
        }
        let versions = headers["sec-websocket-version"]
        guard versions.count == 1, versions.first?.trimmingSpacesAndTabs == "13" else {
            return Problem(
                reason: "invalid WebSocket upgrade: Sec-WebSocket-Version must be 13",
                headers: HTTPHeaders([("Sec-WebSocket-Version", "13")])
            )
        }
        return nil
    }

    /// Whether `key` is 24 characters of base64 (RFC 4648, with padding) decoding to 16 bytes.
    static func isBase64OfSixteenBytes(_ key: Substring) -> Bool {
        let bytes = Array(key.utf8)
        // 16 bytes encode as 22 symbols and "==": the 22nd symbol carries 2 bits of data and
        // 4 zero bits, so it is one of A, Q, g, w.
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        guard bytes[..<22].allSatisfy(isBase64Symbol) else { return false }
        return [UInt8(ascii: "A"), UInt8(ascii: "Q"), UInt8(ascii: "g"), UInt8(ascii: "w")].contains(bytes[21])
    }

    private static func isBase64Symbol(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    fileprivate var trimmingSpacesAndTabs: Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
