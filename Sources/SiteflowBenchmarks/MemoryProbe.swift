import CSiteflowRuntime

/// Memory readings of this OS process, as the anchors take them.
enum MemoryProbe {
    /// Resident set size in bytes (`VmRSS` of `/proc/self/status`), or 0 if unknown.
    static var residentBytes: Int { max(0, sf_rss_kb()) * 1024 }

    /// Bytes allocated by malloc now (glibc `mallinfo2`), or 0 if unknown.
    static var heapBytes: Int { Int(sf_heap_in_use()) }
}
