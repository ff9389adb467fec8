#define _GNU_SOURCE
#include "CSiteflowSpawn.h"
#include <fcntl.h>
#include <unistd.h>

int sf_spawn_file_actions_add_close_from(posix_spawn_file_actions_t *actions, int lowest) {
  return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int sf_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

extern char **environ;
char **sf_environment(void) { return environ; }
