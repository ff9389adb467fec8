/// Where Phoenix v1.8 clients put an auth token outside the URL.
public enum AuthToken {
    /// The WebSocket subprotocol prefix: the client offers `["phoenix", "base64url.bearer.phx.<token>"]`.
    public static let subprotocolPrefix = "base64url.bearer.phx."
    /// The subprotocol the server answers with when the client sent a token that way.
    public static let answerSubprotocol = "phoenix"
    /// The long-poll request header carrying the token.
    public static let longPollHeader = "x-phoenix-authtoken"

    /// The token from a request: the first `base64url.bearer.phx.` subprotocol (decoded), else
    /// the `X-Phoenix-AuthToken` header; `nil` if neither is present or the subprotocol is not
    /// valid base64url UTF-8.
    public static func token(in request: ConnectionRequest) -> String? {
        if let offered = request.subprotocols.first(where: { $0.hasPrefix(subprotocolPrefix) }) {
            guard let bytes = Base64URL.decode(offered.dropFirst(subprotocolPrefix.count)) else { return nil }
            return String(validating: bytes, as: UTF8.self)
        }
        return request.header(longPollHeader)
    }
}
