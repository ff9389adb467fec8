import SiteflowRuntime
#if canImport(Glibc)
import Glibc
#endif

/// What the benchmark ran on, read from `/proc` and `/etc/os-release`, for the report's header.
struct MachineDescription: Sendable {
    var cores: Int
    var processor: String
    var memory: String
    var system: String
    var kernel: String
    var load: String

    static func current() -> MachineDescription {
        let cpuinfo = TextFile.read("/proc/cpuinfo") ?? ""
        let processor = field("model name", in: cpuinfo, separator: ":") ?? "unknown"
        let meminfo = TextFile.read("/proc/meminfo") ?? ""
        var memory = "unknown"
        if let total = field("MemTotal", in: meminfo, separator: ":"),
            let kib = Int(total.split(separator: " ").first ?? "")
        {
            memory = ResultTable.fixed(Double(kib) / 1_048_576, decimals: 1) + " GiB"
        }
        let osRelease = TextFile.read("/etc/os-release") ?? ""
        let system = field("PRETTY_NAME", in: osRelease, separator: "=")
            .map { String($0.filter { $0 != "\"" }) } ?? "unknown"
        let kernel = TextFile.read("/proc/sys/kernel/osrelease").map { String($0.filter { !$0.isNewline }) } ?? "unknown"
        return MachineDescription(
            cores: SchedulerConfiguration.coreCount, processor: processor, memory: memory, system: system,
            kernel: kernel, load: loadAverage())
    }

    /// The 1-, 5- and 15-minute load averages (other work on the machine skews the numbers).
    static func loadAverage() -> String {
        let text = TextFile.read("/proc/loadavg") ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    private static func field(_ name: String, in text: String, separator: Character) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            guard let index = line.firstIndex(of: separator) else { continue }
            let key = line[..<index].trimmingSpaces()
            if key == name { return String(line[line.index(after: index)...].trimmingSpaces()) }
        }
        return nil
    }

    var summary: String {
        "\(cores) cores, \(processor), \(memory), \(system), Linux \(kernel), load average \(load)"
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var trimmed = self
        while let first = trimmed.first, first == " " || first == "\t" { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        return trimmed
    }
}
