import CSiteflowRuntime

/// Process-wide tuning of the C heap for a node that creates processes by the hundred thousand.
///
/// glibc gives each thread other than the main one an arena of 64 MiB heaps and makes a heap
/// writable one page at a time as it fills, one `mprotect` call per step (ADR 0009). Erlang's
/// allocators take memory in multi-megabyte carriers for the same reason.
public enum HeapGrowth {
    /// The step applied by ``growInLargeSteps(bytes:)`` by default: one whole glibc arena heap.
    public static let defaultStep = 64 << 20

    /// Makes the C heap grow (and stay) `bytes` ahead of what it needs (`M_TOP_PAD`): a new
    /// arena heap becomes writable at once, the main heap grows in steps of `bytes`. Pages are
    /// still only resident once touched; up to `bytes` of freed memory at the top of each heap
    /// is kept rather than returned to the system. Affects the whole OS process; call it once,
    /// early (the `siteflow` executable does). Returns false where the C library does not offer it.
    @discardableResult
    public static func growInLargeSteps(bytes: Int = defaultStep) -> Bool {
        sf_malloc_set_top_pad(bytes) == 1
    }

    /// Limits the C heap to `arenas` malloc arenas (`M_ARENA_MAX`; glibc's default is 8 per
    /// core). Each arena keeps the top of its heap resident after a burst (`malloc_trim` returns
    /// only the main arena's top), so fewer arenas give more memory back (ADR 0009); threads
    /// then share arenas' locks. Call it once, before threads start allocating. Returns false
    /// where the C library does not offer it.
    @discardableResult
    public static func limitArenas(to arenas: Int) -> Bool {
        sf_malloc_set_arena_max(Int32(clamping: max(1, arenas))) == 1
    }
}
