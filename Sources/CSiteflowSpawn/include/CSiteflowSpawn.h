#ifndef CSITEFLOW_SPAWN_H
#define CSITEFLOW_SPAWN_H

#include <spawn.h>

/// Makes the child close every file descriptor from `lowest` up before it runs its program, so
/// that a long-lived child (a database server, a watchdog shell) does not keep the parent's
/// sockets open. Returns 0 or an errno value.
int sf_spawn_file_actions_add_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned program inherits unless dup2'd.
/// Returns 0, or -1 with errno set.
int sf_pipe_cloexec(int fds[2]);

/// The calling process's environment (`environ`), for a child that inherits it with additions.
char **sf_environment(void);

#endif
