import CSiteflowRuntime

/// Reads the node's own memory use.
enum MemoryReading {
    /// Resident set size in bytes (0 where the platform does not tell).
    static func residentBytes() -> Int { max(0, sf_rss_kb()) * 1024 }
    /// Bytes the allocator has handed out and not taken back (live heap).
    static func heapBytes() -> Int { Int(sf_heap_in_use()) }
}
