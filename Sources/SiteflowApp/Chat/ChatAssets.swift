import Foundation
import SiteflowRuntime
public import SiteflowServer

/// The chat application's page, script and style sheet: real files under `Resources/chat`,
/// shipped as this module's resources next to the binary, read once when the node starts and
/// then served from memory (`GET /`, `/index.html`, `/assets/chat.js`, `/assets/chat.css`).
///
/// The binary finds them from any working directory; a binary copied without its resource
/// folder fails to start with ``ChatAssetError`` naming the folder it looked for.
public struct ChatAssets: Sendable {
    /// One served file.
    struct File: Sendable {
        var paths: [String]
        var contentType: String
        var bytes: [UInt8]
    }

    /// The name SwiftPM gives this module's resource bundle (`<package>_<target>.resources`).
    static let bundleName = "Siteflow_SiteflowApp.resources"

    let files: [File]

    /// Reads the files from the module's resources.
    /// - Throws: ``ChatAssetError`` when the resource folder or a file in it cannot be read.
    public static func load() throws(ChatAssetError) -> ChatAssets {
        try load(from: try resourceFolder())
    }

    /// Reads the files from `folder` (the bundle's `chat` folder).
    static func load(from folder: URL) throws(ChatAssetError) -> ChatAssets {
        func read(_ name: String) throws(ChatAssetError) -> [UInt8] {
            let url = folder.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else { throw .unreadable(url.path) }
            return Array(data)
        }
        return ChatAssets(files: [
            File(paths: ["/", "/index.html"], contentType: "text/html; charset=utf-8", bytes: try read("index.html")),
            File(paths: ["/assets/chat.js"], contentType: "text/javascript; charset=utf-8", bytes: try read("chat.js")),
            File(paths: ["/assets/chat.css"], contentType: "text/css; charset=utf-8", bytes: try read("chat.css")),
        ])
    }

    /// Serves every file at its paths (`cache-control: no-cache`, so a new binary's page is
    /// picked up on reload).
    public func register(in routes: inout RouteTable) {
        for file in files {
            let response = RouteResponse(contentType: file.contentType, body: file.bytes, headers: [(name: "cache-control", value: "no-cache")])
            for path in file.paths { routes.get(path) { _ in response } }
        }
    }

    /// The `chat` folder of the resource bundle beside the running executable (the binary's own
    /// folder, symbolic links resolved, or the main bundle's).
    private static func resourceFolder() throws(ChatAssetError) -> URL {
        var candidates: [URL] = []
        if let executable = OwnProcess.executablePath() {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        for base in candidates {
            let folder = base.appendingPathComponent(bundleName).appendingPathComponent("chat")
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue { return folder }
        }
        throw .missingResources(searched: candidates.map { $0.appendingPathComponent(bundleName).path })
    }
}

/// Why the chat's files could not be loaded.
public enum ChatAssetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The resource folder is not beside the executable (the binary was copied without it).
    case missingResources(searched: [String])
    /// A file in the resource folder could not be read.
    case unreadable(String)

    public var description: String {
        switch self {
        case .missingResources(let searched):
            "the chat page's files were not found (looked in \(searched.joined(separator: ", "))); " +
                "keep the \(ChatAssets.bundleName) folder next to the siteflow binary when copying it"
        case .unreadable(let path):
            "the chat page's file \(path) could not be read; reinstall the binary with its resource folder"
        }
    }
}
