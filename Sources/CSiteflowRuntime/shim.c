#define _GNU_SOURCE
#include "CSiteflowRuntime.h"
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/resource.h>
#if defined(__linux__)
#include <malloc.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#endif

uint64_t sf_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

size_t sf_heap_in_use(void) {
#if defined(__GLIBC__)
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#else
  return 0;
#endif
}

size_t sf_heap_free(void) {
#if defined(__GLIBC__)
  struct mallinfo2 mi = mallinfo2();
  return mi.fordblks;
#else
  return 0;
#endif
}

int sf_malloc_set_arena_max(int arenas) {
#if defined(__GLIBC__)
  return mallopt(M_ARENA_MAX, arenas);
#else
  (void)arenas; return 0;
#endif
}

int sf_malloc_trim(void) {
#if defined(__GLIBC__)
  return malloc_trim(0);
#else
  return 0;
#endif
}

int sf_malloc_set_top_pad(long bytes) {
#if defined(__GLIBC__)
  return mallopt(M_TOP_PAD, bytes > 0x7fffffffL ? 0x7fffffff : (int)bytes);
#else
  (void)bytes; return 0;
#endif
}

long sf_open_file_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  return (long)rl.rlim_cur;
}

__thread void *sf_tls_worker __attribute__((tls_model("initial-exec")));
void sf_set_current_worker(void *w) { sf_tls_worker = w; }
__thread uint32_t sf_tls_shard_hint __attribute__((tls_model("initial-exec")));
void sf_set_shard_hint(uint32_t hint) { sf_tls_shard_hint = hint; }

sf_parker *sf_parker_new(void) {
  sf_parker *p = aligned_alloc(64, sizeof(sf_parker));
  if (!p) return NULL;
  memset(p, 0, sizeof *p);
  return p;
}

void sf_parker_free(sf_parker *p) { free(p); }

void sf_park(sf_parker *p, uint64_t timeout_ns) {
  for (;;) {
    if (__atomic_exchange_n(&p->permit, 0, __ATOMIC_SEQ_CST) == 1) return;
    struct timespec ts, *tsp = NULL;
    if (timeout_ns) {
      ts.tv_sec = (time_t)(timeout_ns / 1000000000ull);
      ts.tv_nsec = (long)(timeout_ns % 1000000000ull);
      tsp = &ts;
    }
#if defined(__linux__)
    long r = syscall(SYS_futex, &p->permit, FUTEX_WAIT_PRIVATE, 0, tsp, NULL, 0);
#else
    long r = -1; usleep(timeout_ns ? (useconds_t)(timeout_ns / 1000) : 1000);
#endif
    if (timeout_ns && r == -1) { __atomic_exchange_n(&p->permit, 0, __ATOMIC_SEQ_CST); return; }
  }
}

void sf_unpark(sf_parker *p) {
  if (__atomic_exchange_n(&p->permit, 1, __ATOMIC_SEQ_CST) == 0) {
#if defined(__linux__)
    syscall(SYS_futex, &p->permit, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#endif
  }
}

struct start_arg { void (*fn)(void *); void *arg; char name[16]; };
static void *trampoline(void *a) {
  struct start_arg s = *(struct start_arg *)a;
  free(a);
#if defined(__linux__)
  if (s.name[0]) pthread_setname_np(pthread_self(), s.name);
#endif
  s.fn(s.arg);
  return NULL;
}

uint64_t sf_thread_start(void (*fn)(void *), void *arg, const char *name) {
  struct start_arg *s = malloc(sizeof *s);
  if (!s) return 0;
  s->fn = fn; s->arg = arg;
  memset(s->name, 0, sizeof s->name);
  if (name) strncpy(s->name, name, sizeof s->name - 1);
  pthread_t t;
  if (pthread_create(&t, NULL, trampoline, s) != 0) { free(s); return 0; }
  return (uint64_t)t;
}

void sf_thread_join(uint64_t handle) { pthread_join((pthread_t)handle, NULL); }

int sf_name_thread(uint64_t handle, const char *name) {
#if defined(__linux__)
  char short_name[16];
  strncpy(short_name, name, sizeof short_name - 1);
  short_name[sizeof short_name - 1] = 0;
  return pthread_setname_np((pthread_t)handle, short_name);
#else
  (void)handle; (void)name; return 0;
#endif
}

size_t sf_allocation_size(const void *block) {
#if defined(__GLIBC__)
  return malloc_usable_size((void *)block);
#else
  (void)block; return 0;
#endif
}

sf_worker_shared *sf_worker_shared_new(void) {
  sf_worker_shared *s = aligned_alloc(64, sizeof(sf_worker_shared));
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  return s;
}

void sf_worker_shared_free(sf_worker_shared *s) { free(s); }
