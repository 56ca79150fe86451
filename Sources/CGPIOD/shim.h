// libgpiod v1 (Debian 12 / Raspberry Pi OS bookworm: 1.6.x), used by CantineGPIO; and
// pipe2(2), which glibc declares only under _GNU_SOURCE, for the reader's self-pipe.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <unistd.h>
#include <gpiod.h>

static inline int cantine_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
