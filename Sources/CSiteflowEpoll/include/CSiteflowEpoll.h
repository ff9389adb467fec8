#ifndef CSITEFLOW_EPOLL_H
#define CSITEFLOW_EPOLL_H

// epoll for the load tester's listen-only clients (Glibc's Swift module does not export it).
#ifdef __linux__
#include <sys/epoll.h>
#endif

#endif
