/// A file served from memory: the chat application is compiled into the binary, so
/// `swift run` works from any directory and nothing is read from disk at run time.
struct StaticAsset: Sendable {
    /// The URL path, e.g. `/assets/chat.js`.
    var path: String
    /// The `Content-Type` header.
    var contentType: String
    /// The file's text.
    var text: String

    /// The response serving this asset.
    var response: RouteResponse {
        RouteResponse(contentType: contentType, text: text, headers: [(name: "cache-control", value: "no-cache")])
    }

    /// The chat application: the page, its script and its style sheet.
    static let chat: [StaticAsset] = [
        StaticAsset(path: "/", contentType: "text/html; charset=utf-8", text: ChatPage.html),
        StaticAsset(path: "/index.html", contentType: "text/html; charset=utf-8", text: ChatPage.html),
        StaticAsset(path: "/assets/chat.js", contentType: "text/javascript; charset=utf-8", text: ChatScript.javascript),
        StaticAsset(path: "/assets/chat.css", contentType: "text/css; charset=utf-8", text: ChatStyle.css),
    ]
}
