// The small part of the Siteflow scheduler that Swift cannot express directly: futex parking,
// joinable OS threads, an initial-exec thread-local worker pointer, and per-worker fields that other
// threads read, each on its own cache line. Not API: used only by SiteflowRuntime.
#ifndef CSITEFLOW_RUNTIME_H
#define CSITEFLOW_RUNTIME_H
#include <stdint.h>
#include <stddef.h>

/// Monotonic clock in nanoseconds.
uint64_t sf_now_ns(void);
/// Bytes currently allocated by malloc (glibc mallinfo2), or 0 where unknown.
size_t sf_heap_in_use(void);
/// Bytes malloc holds free in its arenas (glibc mallinfo2 fordblks), or 0 where unknown.
size_t sf_heap_free(void);
/// Sets glibc's M_ARENA_MAX (how many malloc arenas threads share). Returns 1 on success, 0 where
/// it failed or the C library has no such setting.
int sf_malloc_set_arena_max(int arenas);
/// Gives free heap memory back to the system (glibc malloc_trim(0): the top of every arena and
/// whole free pages inside them). Returns 1 if memory was released, 0 if not or where unknown.
int sf_malloc_trim(void);
/// Sets glibc's M_TOP_PAD (bytes kept ahead of need when a heap grows, and left at its top when
/// it shrinks). Returns 1 on success, 0 where it failed or the C library has no such setting.
int sf_malloc_set_top_pad(long bytes);
/// Limit on open files for this OS process (soft limit).
long sf_open_file_limit(void);

/// Thread-local pointer to the current scheduler worker (NULL on other threads).
extern __thread void *sf_tls_worker __attribute__((tls_model("initial-exec")));
static inline void *sf_current_worker(void) { return sf_tls_worker; }
void sf_set_current_worker(void *w);
/// A small per-thread number that spreads shared structures (timer shards) across threads:
/// a worker sets its index + 1; other threads read 0.
extern __thread uint32_t sf_tls_shard_hint __attribute__((tls_model("initial-exec")));
static inline uint32_t sf_shard_hint(void) { return sf_tls_shard_hint; }
void sf_set_shard_hint(uint32_t hint);
/// A hash of the calling thread (from the address of its thread-local block) in `0 ..< 1 << bits`
/// (bits in 1...16): spreads per-thread work over shards without a look-up or a call.
static inline uint32_t sf_thread_shard(uint32_t bits) {
  uintptr_t a = (uintptr_t)&sf_tls_worker;
  return (uint32_t)(((uint64_t)(a >> 12) * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/// The Swift runtime's non-atomic retain (exported by the Swift runtime on every platform).
void *swift_nonatomic_retain(void *object);
/// Retains a Swift object that no other thread can reach yet (created by this thread and not
/// shared with anyone): a plain increment of its reference count instead of an atomic one.
/// Never use it on an object that another thread may hold, retain or release.
static inline void sf_retain_unpublished(void *object) { swift_nonatomic_retain(object); }

/// A one-permit parker: an unpark before a park makes the park return at once.
typedef struct { _Alignas(64) uint32_t permit; char pad[60]; } sf_parker;
sf_parker *sf_parker_new(void);
void sf_parker_free(sf_parker *p);
/// Waits for the permit, at most timeout_ns (0 = no limit), and consumes it.
void sf_park(sf_parker *p, uint64_t timeout_ns);
void sf_unpark(sf_parker *p);

/// Starts a joinable OS thread that runs fn(arg); returns an opaque handle or 0 on failure.
uint64_t sf_thread_start(void (*fn)(void *), void *arg, const char *name);
void sf_thread_join(uint64_t handle);
/// Names a thread started by any means (at most 15 bytes are kept); returns 0 on success.
int sf_name_thread(uint64_t handle, const char *name);
/// Usable size of a malloc'd block (for memory estimates), or 0 where unknown.
size_t sf_allocation_size(const void *block);

static inline void sf_cpu_relax(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/// Worker fields that other threads read, each on its own cache line so that a thief or the
/// watchdog polling them never bounces the owner's hot lines.
typedef struct {
  _Alignas(64) long len;      /* run-queue length, written under the queue lock */
  _Alignas(64) long runs;     /* process runs started by the owner (watchdog, lone-steal guard) */
  _Alignas(64) long idle;     /* 1 while parked */
  _Alignas(64) uint64_t current; /* serial of the process running now (0 = none) */
  _Alignas(64) long handled;  /* messages handled by processes run on this worker */
  char pad[56];
} sf_worker_shared;
sf_worker_shared *sf_worker_shared_new(void);
void sf_worker_shared_free(sf_worker_shared *s);
static inline long sf_len(const sf_worker_shared *s) { return __atomic_load_n(&s->len, __ATOMIC_RELAXED); }
static inline void sf_set_len(sf_worker_shared *s, long v) { __atomic_store_n(&s->len, v, __ATOMIC_RELAXED); }
/* seq_cst: orders the store before the waker's idle-count load (store-load, Dekker style) */
static inline void sf_set_len_seqcst(sf_worker_shared *s, long v) { __atomic_store_n(&s->len, v, __ATOMIC_SEQ_CST); }
static inline long sf_runs(const sf_worker_shared *s) { return __atomic_load_n(&s->runs, __ATOMIC_RELAXED); }
static inline void sf_begin_run(sf_worker_shared *s, uint64_t serial) {
  __atomic_store_n(&s->runs, s->runs + 1, __ATOMIC_RELAXED);
  __atomic_store_n(&s->current, serial, __ATOMIC_RELAXED);
}
static inline uint64_t sf_current(const sf_worker_shared *s) { return __atomic_load_n(&s->current, __ATOMIC_RELAXED); }
/* owner thread only adds; others read */
static inline void sf_add_handled(sf_worker_shared *s, long n) { __atomic_store_n(&s->handled, s->handled + n, __ATOMIC_RELAXED); }
static inline long sf_handled(const sf_worker_shared *s) { return __atomic_load_n(&s->handled, __ATOMIC_RELAXED); }
static inline long sf_idle(const sf_worker_shared *s) { return __atomic_load_n(&s->idle, __ATOMIC_SEQ_CST); }
static inline void sf_set_idle(sf_worker_shared *s) { __atomic_store_n(&s->idle, 1, __ATOMIC_SEQ_CST); }
/* returns 1 if this call moved idle 1 -> 0 */
static inline int sf_clear_idle(sf_worker_shared *s) {
  long e = 1; return __atomic_compare_exchange_n(&s->idle, &e, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
/// The calling worker's shared fields, for the crash notifier (NULL on other threads).
void sf_set_current_worker_shared(sf_worker_shared *s);
/// Installs handlers for the fatal signals (SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV)
/// that, before anything else, write "crashed <signal> <process serial>\n" to `notify_fd` (-1:
/// none), take `keep_fd` (a listening socket shared with the supervisor, -1: none) out of every
/// epoll set of the process, shut down every connected socket, then pass the signal to the
/// handler installed before (Swift's backtracer) and die by it. Returns 0 or an errno.
int sf_install_crash_notifier(int notify_fd, int keep_fd);
/// Asks the kernel to send `signal_number` to this process when its parent dies (Linux); sends
/// it at once if the parent is no longer `expected_parent`. Returns 0 or an errno.
int sf_stop_with_parent(int expected_parent, int signal_number);
/// The Swift runtime's demangler (exported by libswiftCore): a malloc'd readable name, or NULL.
char *swift_demangle(const char *mangled_name, size_t mangled_name_length, char *output_buffer,
                     size_t *output_buffer_size, uint32_t flags);
#endif
