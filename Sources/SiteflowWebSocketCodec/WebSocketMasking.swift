/// The masking of RFC 6455 §5.3: each payload byte XORed with the key's byte at its offset
/// modulo 4. Masking and unmasking are the same operation.
public enum WebSocketMasking {
    /// Masks (or unmasks) `bytes` in place with `key`, given in network byte order (the key's
    /// first byte on the wire is its most significant byte), eight bytes at a time.
    @inlinable
    public static func apply(key: UInt32, to bytes: UnsafeMutableRawBufferPointer) {
        let keyBytes = key.bigEndian
        let wide = UInt64(keyBytes) | UInt64(keyBytes) << 32
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            bytes.storeBytes(of: word ^ wide, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            bytes[index] ^= withUnsafeBytes(of: keyBytes) { $0[index & 3] }
            index += 1
        }
    }
}
