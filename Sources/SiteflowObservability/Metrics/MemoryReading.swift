import CSiteflowRuntime

/// Reads the node's own memory use.
enum MemoryReading {
    /// Resident set size in bytes (0 where the platform does not tell).
    static func residentBytes() -> Int { max(0, sf_rss_kb()) * 1024 }
}
