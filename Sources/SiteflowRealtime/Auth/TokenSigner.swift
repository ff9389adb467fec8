import Crypto
public import SiteflowRuntime

/// Signs and verifies expiring tokens, like `Phoenix.Token`: the data, the time it was signed and
/// an HMAC-SHA256 over the salt, data and time, keyed by the server's secret.
///
/// A token is `base64url(data) "." signedAtMillis "." base64url(mac)`. The data is readable by
/// anyone holding the token (signed, not encrypted); only the holder of the secret can produce a
/// token that ``verify(_:maxAge:)`` accepts. Different salts (`"user socket"`, `"long-poll"`) keep
/// tokens of one purpose from being accepted for another.
public struct TokenSigner: Sendable {
    private let secret: [UInt8]
    private let salt: [UInt8]
    private let clock: any RuntimeClock

    /// A signer with the server's `secret` (keep it at least 32 random bytes), a `salt` naming
    /// the tokens' purpose, and the clock that stamps and checks them.
    public init(secret: some Sequence<UInt8>, salt: String, clock: any RuntimeClock = SystemClock()) {
        self.secret = Array(secret)
        self.salt = Array(salt.utf8)
        self.clock = clock
    }

    /// Signs `data` now.
    public func sign(_ data: String) -> String {
        sign(Array(data.utf8))
    }

    /// Signs raw bytes now.
    public func sign(_ data: [UInt8]) -> String {
        let body = Base64URL.encode(data) + "." + String(clock.wallClockMilliseconds())
        return body + "." + Base64URL.encode(mac(body))
    }

    /// Returns the signed data as text if `token` is valid and at most `maxAge` old.
    /// - Throws: ``TokenError`` `.invalid` (malformed, wrong secret/salt, tampered, not UTF-8) or
    ///   `.expired`.
    public func verify(_ token: String, maxAge: Duration) throws(TokenError) -> String {
        guard let text = String(validating: try verifyBytes(token, maxAge: maxAge), as: UTF8.self) else {
            throw TokenError(.invalid)
        }
        return text
    }

    /// Returns the signed bytes if `token` is valid and at most `maxAge` old.
    public func verifyBytes(_ token: String, maxAge: Duration) throws(TokenError) -> [UInt8] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URL.decode(parts[0]), let signedAt = Int64(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw TokenError(.invalid) }
        let body = parts[0] + "." + parts[1]
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: prefixed(String(body)), using: SymmetricKey(data: secret)) else {
            throw TokenError(.invalid)
        }
        let (seconds, attoseconds) = maxAge.components
        let maxAgeMillis = seconds.multipliedReportingOverflow(by: 1000).overflow
            ? Int64.max : seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let age = clock.wallClockMilliseconds() - signedAt
        guard age <= maxAgeMillis else { throw TokenError(.expired) }
        return data
    }

    private func prefixed(_ body: String) -> [UInt8] {
        var message = salt
        message.append(0)
        message.append(contentsOf: body.utf8)
        return message
    }

    private func mac(_ body: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: prefixed(body), using: SymmetricKey(data: secret)))
    }
}
