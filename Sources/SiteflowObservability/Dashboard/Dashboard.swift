import Foundation
import Synchronization

/// The live dashboard: a page (`/dashboard`) that polls a JSON document (`/dashboard/data`) built
/// from every registered ``DashboardSource``.
public final class Dashboard: Sendable {
    private let sources = Mutex<[any DashboardSource]>([])
    private let nodeName: String

    /// Creates a dashboard titled with the node's name.
    public init(nodeName: String) {
        self.nodeName = nodeName
    }

    /// Adds a panel source; panels appear in the order they were added.
    public func add(_ source: any DashboardSource) {
        sources.withLock { $0.append(source) }
    }

    /// What `/dashboard/data` serves.
    public struct Document: Codable, Sendable {
        /// The node's name.
        public var node: String
        /// When the document was made (seconds since 1970).
        public var time: Double
        /// The panels.
        public var sections: [DashboardSection]
    }

    /// The current document.
    public func document() -> Document {
        let current = sources.withLock { $0 }
        return Document(node: nodeName, time: Date().timeIntervalSince1970, sections: current.map { $0.dashboardSection() })
    }

    /// The current document as JSON bytes.
    public func documentJSON() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain strings, numbers and arrays cannot fail; an empty object is the fallback.
        return (try? Array(encoder.encode(document()))) ?? Array("{}".utf8)
    }

    /// The dashboard page (HTML with its script inline; no external assets).
    public static var pageHTML: [UInt8] { Array(DashboardPage.html.utf8) }

    /// The content type of ``pageHTML``.
    public static let pageContentType = "text/html; charset=utf-8"
    /// The content type of ``documentJSON()``.
    public static let documentContentType = "application/json"
}
