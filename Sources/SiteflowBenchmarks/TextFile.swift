#if canImport(Glibc)
import Glibc
#endif

/// Small file and stream helpers without Foundation: the benchmark reads `/proc` files, appends
/// raw results, and writes progress to standard error.
enum TextFile {
    /// The whole file as UTF-8 text, or nil if it cannot be read.
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` to the file at `path` (created if needed); returns whether it worked.
    @discardableResult
    static func append(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return writeAll(text, to: fd)
    }

    /// Writes `text` to standard error (progress and warnings; standard output is the table).
    static func writeToStandardError(_ text: String) {
        _ = writeAll(text, to: 2)
    }

    /// Writes `text` to standard output.
    static func writeToStandardOutput(_ text: String) {
        _ = writeAll(text, to: 1)
    }

    private static func writeAll(_ text: String, to fd: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            bytes = bytes.dropFirst(written)
        }
        return true
    }
}
