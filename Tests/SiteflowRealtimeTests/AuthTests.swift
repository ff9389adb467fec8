import SiteflowRealtime
import Synchronization
import Testing
import SiteflowRuntimeTesting

@Suite("Auth: signed expiring tokens, Origin allow-list, auth-token subprotocol")
struct AuthTests {
    let secret = Array("a-test-secret-of-at-least-32-bytes!!".utf8)

    func verifyError(_ signer: TokenSigner, _ token: String, maxAge: Duration = .seconds(60)) -> TokenError? {
        do {
            _ = try signer.verify(token, maxAge: maxAge)
            return nil
        } catch {
            return error
        }
    }

    @Test("a token verifies to its data within maxAge")
    func signAndVerify() throws {
        let time = ManualClock()
        let signer = TokenSigner(secret: secret, salt: "user socket", clock: time)
        let token = signer.sign("user:42")
        time.advance(by: .seconds(59))
        #expect(try signer.verify(token, maxAge: .seconds(60)) == "user:42")
    }

    @Test("a token older than maxAge is expired")
    func expiry() {
        let time = ManualClock()
        let signer = TokenSigner(secret: secret, salt: "user socket", clock: time)
        let token = signer.sign("user:42")
        time.advance(by: .seconds(61))
        #expect(verifyError(signer, token) == TokenError(.expired))
    }

    @Test("a tampered token, another salt, another secret or garbage is invalid")
    func invalid() {
        let time = ManualClock()
        let signer = TokenSigner(secret: secret, salt: "user socket", clock: time)
        let token = signer.sign("user:42")
        let parts = token.split(separator: ".")
        let forged = Base64URL.encode(Array("user:1".utf8)) + "." + parts[1] + "." + parts[2]
        #expect(verifyError(signer, forged) == TokenError(.invalid))
        let laterStamp = parts[0] + "." + String((Int64(parts[1]) ?? 0) + 1) + "." + parts[2]
        #expect(verifyError(signer, laterStamp) == TokenError(.invalid))
        #expect(verifyError(TokenSigner(secret: secret, salt: "other", clock: time), token) == TokenError(.invalid))
        #expect(verifyError(TokenSigner(secret: Array("another secret".utf8), salt: "user socket", clock: time), token)
            == TokenError(.invalid))
        for garbage in ["", "a.b", "a.b.c", "...", "!!.1.x", token + "x"] {
            #expect(verifyError(signer, garbage) == TokenError(.invalid), "\(garbage)")
        }
    }

    @Test("base64url round-trips and rejects characters outside the alphabet")
    func base64url() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        #expect(Base64URL.encode(Array("hello?>".utf8)) == "aGVsbG8_Pg")
        #expect(Base64URL.decode("a$b") == nil)
        #expect(Base64URL.decode("a") == nil)
    }

    @Test("Origin allow-list: exact origins, *.domain patterns, scheme-restricted patterns, missing header allowed")
    func origins() {
        let policy = OriginPolicy(allowing: ["https://example.com", "*.example.org", "https://*.secure.net", "//local.test:4000"])
        #expect(policy.allows("https://example.com"))
        #expect(policy.allows("https://example.com:443"))
        #expect(!policy.allows("http://example.com"))
        #expect(!policy.allows("https://evil-example.com"))
        #expect(!policy.allows("https://example.com.evil.io"))
        #expect(policy.allows("http://example.org"))
        #expect(policy.allows("https://chat.eu.example.org"))
        #expect(!policy.allows("https://notexample.org"))
        #expect(policy.allows("https://a.secure.net"))
        #expect(!policy.allows("http://a.secure.net"))
        #expect(policy.allows("http://local.test:4000"))
        #expect(!policy.allows("http://local.test:4001"))
        #expect(!policy.allows("null"))
        #expect(policy.allows(nil))
        #expect(OriginPolicy.any.allows("https://anything.example"))
    }

    @Test("same origin (the default): the page of the host the request was addressed to, its port included; others only if listed")
    func sameOrigin() {
        #expect(SocketConfiguration().origins == .sameOrigin)
        let policy = OriginPolicy.sameOrigin
        #expect(policy.allows("http://127.0.0.1:4000", requestHost: "127.0.0.1:4000"))
        #expect(policy.allows("http://localhost:4000", requestHost: "LOCALHOST:4000"))
        #expect(policy.allows("https://chat.example.com", requestHost: "chat.example.com"))
        #expect(policy.allows("https://chat.example.com", requestHost: "chat.example.com:443"))
        #expect(!policy.allows("http://chat.example.com", requestHost: "chat.example.com:443"))
        #expect(!policy.allows("http://evil.example", requestHost: "127.0.0.1:4000"))
        #expect(!policy.allows("http://127.0.0.1:4001", requestHost: "127.0.0.1:4000"))
        #expect(!policy.allows("http://127.0.0.1:4000", requestHost: nil))
        #expect(!policy.allows("null", requestHost: "127.0.0.1:4000"))
        #expect(policy.allows(nil, requestHost: "127.0.0.1:4000"))
        let plus = OriginPolicy.sameOrigin(plus: ["https://app.example.com"])
        #expect(plus.allows("https://app.example.com", requestHost: "api.example.com"))
        #expect(plus.allows("http://api.example.com", requestHost: "api.example.com"))
        #expect(!plus.allows("https://other.example.com", requestHost: "api.example.com"))
    }

    @Test("the auth token comes from the base64url.bearer.phx subprotocol, else the long-poll header")
    func authTokenLocations() {
        let encoded = Base64URL.encode(Array("tok.en".utf8))
        let ws = ConnectionRequest(transport: .webSocket, path: "/socket/websocket",
                                   subprotocols: ["phoenix", "base64url.bearer.phx.\(encoded)"])
        #expect(AuthToken.token(in: ws) == "tok.en")
        let poll = ConnectionRequest(transport: .longPoll, path: "/socket/longpoll", headers: [(name: "x-phoenix-authtoken", value: "abc")])
        #expect(AuthToken.token(in: poll) == "abc")
        let bad = ConnectionRequest(transport: .webSocket, path: "/", subprotocols: ["base64url.bearer.phx.$$$"])
        #expect(AuthToken.token(in: bad) == nil)
    }
}
