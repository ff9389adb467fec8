#if canImport(Glibc)
import Glibc
#endif

/// Where the Siteflow package is on disk, found without Foundation: the benchmark looks for the
/// anchors beside it and keeps its compiled anchors in its `.build` folder.
enum PackageLocation {
    /// Folders that may be the package root, best first: the working directory and its
    /// ancestors that hold a `Package.swift`, then the root this source file was compiled from.
    static func candidateRoots() -> [String] {
        var roots: [String] = []
        var directory = currentDirectory()
        while let current = directory {
            if access(current + "/Package.swift", R_OK) == 0 { roots.append(current) }
            let up = parent(of: current)
            directory = up == current ? nil : up
        }
        // #filePath is <root>/Sources/SiteflowBenchmarks/PackageLocation.swift.
        let compiledRoot = parent(of: parent(of: parent(of: #filePath)))
        if access(compiledRoot + "/Package.swift", R_OK) == 0, !roots.contains(compiledRoot) {
            roots.append(compiledRoot)
        }
        return roots
    }

    /// The first candidate root, if any.
    static func packageRoot() -> String? { candidateRoots().first }

    /// The current working directory.
    static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` without its last component (`/` stays `/`).
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let head = trimmed[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// `mkdir -p`; returns whether the folder exists afterwards.
    static func makeDirectories(_ path: String) -> Bool {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o755) != 0 && errno != EEXIST { return false }
        }
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
