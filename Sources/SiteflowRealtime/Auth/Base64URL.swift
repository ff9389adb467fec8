/// Base64url (RFC 4648 §5) without padding, as Phoenix tokens and the auth-token subprotocol
/// use it. Decoding also accepts padding and the standard alphabet's `+` and `/`.
public enum Base64URL {
    /// Encodes bytes, without `=` padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        String(decoding: Base64.encode(Array(bytes), urlSafe: true), as: UTF8.self)
    }

    /// Decodes text; `nil` if it has characters outside the alphabet or an impossible length.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        Base64.decode(text.utf8)
    }
}
