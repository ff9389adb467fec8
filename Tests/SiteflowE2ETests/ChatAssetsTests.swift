import Foundation
import Testing

@testable import SiteflowApp

@Suite("The chat app's files")
struct ChatAssetsTests {
    @Test("the node serves the chat page, its script and its style sheet from the resource files, with their content types")
    func servedByTheNode() async throws {
        try await withNode { node in
            let port = try #require(node.port)
            let page = try await httpGet(port: port, path: "/")
            #expect(page.status == 200)
            for id in ["nickname", "room", "join", "message", "send", "messages", "online", "typing"] {
                #expect(page.body.contains("id=\"\(id)\""), "the page has #\(id)")
            }
            #expect(page.body.contains("/assets/chat.js"))
            #expect(try await httpGet(port: port, path: "/index.html").body == page.body)
            let script = try await httpGet(port: port, path: "/assets/chat.js")
            #expect(script.status == 200)
            #expect(script.body.contains("vsn=2.0.0"))
            let style = try await httpGet(port: port, path: "/assets/chat.css")
            #expect(style.status == 200)
            #expect(style.body.contains("box-sizing"))
        }
    }

    @Test("the served bytes are the files' bytes")
    func filesAsShipped() throws {
        let assets = try ChatAssets.load()
        #expect(assets.files.map(\.paths) == [["/", "/index.html"], ["/assets/chat.js"], ["/assets/chat.css"]])
        #expect(assets.files.map(\.contentType) == ["text/html; charset=utf-8", "text/javascript; charset=utf-8", "text/css; charset=utf-8"])
        #expect(assets.files.allSatisfy { !$0.bytes.isEmpty })
    }

    @Test("a folder without the files is a typed error that names the file")
    func missingFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-no-assets-\(UUID().uuidString)")
        #expect(throws: ChatAssetError.unreadable(folder.appendingPathComponent("index.html").path)) {
            try ChatAssets.load(from: folder)
        }
        #expect(ChatAssetError.missingResources(searched: ["/x"]).description.contains("next to the siteflow binary"))
    }
}
