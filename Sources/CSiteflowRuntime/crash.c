// What a node does in the first milliseconds of a fatal signal, before Swift's backtracer runs:
// tell the supervisor which signal and which process, stop accepting, close every client
// connection (so clients start reconnecting at once instead of waiting for the backtrace), then
// hand the signal on. Only plain system calls: write, getsockopt, readlink, epoll_ctl, shutdown,
// nanosleep, signal, raise.
#define _GNU_SOURCE
#include "CSiteflowRuntime.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

__thread sf_worker_shared *sf_tls_worker_shared __attribute__((tls_model("initial-exec")));
void sf_set_current_worker_shared(sf_worker_shared *s) { sf_tls_worker_shared = s; }

static int crash_notify_fd = -1;
static int crash_keep_fd = -1;
static int crash_fd_limit = 1024;
static const int crash_signals[] = {SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV};
#define CRASH_SIGNAL_COUNT (int)(sizeof crash_signals / sizeof crash_signals[0])
static struct sigaction crash_previous[CRASH_SIGNAL_COUNT];
static int crash_entered = 0;
static int crash_done = 0;

static size_t put_text(char *out, size_t at, size_t cap, const char *text) {
  while (*text && at < cap) out[at++] = *text++;
  return at;
}

static size_t put_number(char *out, size_t at, size_t cap, uint64_t value) {
  char digits[24];
  int n = 0;
  do { digits[n++] = (char)('0' + value % 10); value /= 10; } while (value && n < 24);
  while (n > 0 && at < cap) out[at++] = digits[--n];
  return at;
}

static void crash_handler(int sig, siginfo_t *info, void *context) {
  int index = 0;
  while (index < CRASH_SIGNAL_COUNT && crash_signals[index] != sig) index++;
  if (__atomic_exchange_n(&crash_entered, 1, __ATOMIC_SEQ_CST) == 0) {
    int saved = errno;
    // 1. Tell the supervisor first (one write): "crashed <signal> <serial of the process running
    //    on this thread>", so it starts the replacement while we close our sockets.
    if (crash_notify_fd >= 0) {
      char line[64];
      size_t at = put_text(line, 0, sizeof line, "crashed ");
      at = put_number(line, at, sizeof line, (uint64_t)sig);
      at = put_text(line, at, sizeof line, " ");
      sf_worker_shared *shared = sf_tls_worker_shared;
      at = put_number(line, at, sizeof line, shared ? sf_current(shared) : 0);
      at = put_text(line, at, sizeof line, "\n");
      ssize_t ignored = write(crash_notify_fd, line, at);
      (void)ignored;
    }
    // 2. Stop accepting: take the shared listening socket out of every epoll set of this process,
    //    so no event loop accepts for a dying node (connections wait in the queue for the
    //    replacement). The descriptor stays open: closing it would make an event loop's accept()
    //    fail with EBADF, which SwiftNIO treats as a fatal programming error.
    if (crash_keep_fd >= 0) {
      char target[32];
      char path[40];
      for (int fd = 0; fd < crash_fd_limit; fd++) {
        if (fd == crash_notify_fd || fd == crash_keep_fd) continue;
        int type = 0;
        socklen_t length = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 || errno != ENOTSOCK) continue;
        size_t at = put_text(path, 0, sizeof path - 1, "/proc/self/fd/");
        at = put_number(path, at, sizeof path - 1, (uint64_t)fd);
        path[at] = 0;
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        if (strstr(target, "eventpoll")) epoll_ctl(fd, EPOLL_CTL_DEL, crash_keep_fd, NULL);
      }
    }
    // 3. Close every connected socket (not listening ones, which may be shared), so clients see
    //    the end at once and reconnect.
    for (int fd = 0; fd < crash_fd_limit; fd++) {
      if (fd == crash_notify_fd || fd == crash_keep_fd) continue;
      int listening = 0;
      socklen_t length = sizeof listening;
      if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0) continue;
      if (!listening) shutdown(fd, SHUT_RDWR);
    }
    errno = saved;
    __atomic_store_n(&crash_done, 1, __ATOMIC_SEQ_CST);
  } else {
    // Another thread is handling a fatal signal: let it finish its notice and closes (at most
    // 200 ms) before this one goes on to the backtracer, which ends the process.
    struct timespec pause = {0, 1000000};
    for (int i = 0; i < 200 && !__atomic_load_n(&crash_done, __ATOMIC_SEQ_CST); i++) nanosleep(&pause, NULL);
  }
  // 4. Hand the signal to whoever had it before (Swift's backtracer), or to the default action.
  //    Then die by the signal's default action in every case: a handler that returns (as the
  //    backtracer does, expecting a synchronous fault to repeat) must not let a signal sent by
  //    kill() resume the process. The raised signal stays pending until this handler returns.
  if (index < CRASH_SIGNAL_COUNT) {
    struct sigaction *previous = &crash_previous[index];
    if (previous->sa_flags & SA_SIGINFO) {
      if (previous->sa_sigaction) previous->sa_sigaction(sig, info, context);
    } else if (previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN) {
      previous->sa_handler(sig);
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

int sf_install_crash_notifier(int notify_fd, int keep_fd) {
  crash_notify_fd = notify_fd;
  crash_keep_fd = keep_fd;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    crash_fd_limit = rl.rlim_cur > 1048576 ? 1048576 : (int)rl.rlim_cur;
  }
  for (int i = 0; i < CRASH_SIGNAL_COUNT; i++) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = crash_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(crash_signals[i], &action, &crash_previous[i]) != 0) return errno;
  }
  return 0;
}

int sf_stop_with_parent(int expected_parent, int signal_number) {
  if (prctl(PR_SET_PDEATHSIG, signal_number) != 0) return errno;
  // The parent may have died before prctl: then we were re-parented already.
  if (getppid() != expected_parent) raise(signal_number);
  return 0;
}
