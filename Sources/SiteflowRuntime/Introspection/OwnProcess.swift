import CSiteflowRuntime
#if canImport(Glibc)
import Glibc
#endif

/// What the operating system tells of this OS process — its memory, its `/proc/self/status`
/// fields and its executable: the one place the package reads `/proc/self`. Each reading
/// answers nil or 0 where the platform does not tell.
package enum OwnProcess {
    /// Resident set size in bytes (`VmRSS`), or 0.
    package static func residentBytes() -> Int {
        guard let field = statusField("VmRSS"), let kilobytes = Int(field.split(separator: " ").first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    /// Bytes malloc has handed out and not taken back (glibc's `mallinfo2`), or 0.
    package static func heapBytes() -> Int {
        Int(sf_heap_in_use())
    }

    /// The value of one `/proc/self/status` field (e.g. `VmRSS` → `"1234 kB"`,
    /// `Cpus_allowed_list` → `"0-3,6"`), without the surrounding blanks; nil if absent.
    package static func statusField(_ name: String, in status: String? = statusText()) -> String? {
        guard let status else { return nil }
        let prefix = name + ":"
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return String(line.dropFirst(prefix.count).drop { $0 == " " || $0 == "\t" })
    }

    /// The whole text of `/proc/self/status`, or nil.
    package static func statusText() -> String? {
        readWholeFile("/proc/self/status")
    }

    /// The running executable's path (`/proc/self/exe`, symbolic links resolved), or nil.
    package static func executablePath() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let length = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress.map { $0.withMemoryRebound(to: CChar.self, capacity: pointer.count) { readlink("/proc/self/exe", $0, pointer.count - 1) } } ?? -1
        }
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length], as: UTF8.self)
    }

    /// A small file read whole with `read(2)` (procfs files report size 0, so no `stat`).
    private static func readWholeFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
