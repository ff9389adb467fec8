import SiteflowRealtime

/// Long-poll session tokens: 128 random bits from the system's CSPRNG, base64url without padding.
///
/// The token only names a session held in this server's memory, so unguessability is all it
/// needs; it is not signed (a session never moves between nodes).
enum SessionToken {
    /// A fresh token, 22 characters.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            let word = generator.next() as UInt64
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return String(decoding: Base64.encode(bytes, urlSafe: true), as: UTF8.self)
    }
}
