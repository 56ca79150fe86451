// libgpiod v1 (Debian 12 / Raspberry Pi OS bookworm: 1.6.x), used by CantineGPIO; and
// pipe2(2) for the reader's self-pipe. glibc declares pipe2 only under _GNU_SOURCE, which
// cannot be defined here (the system headers would then differ from the other modules'):
// the prototype is declared as glibc's own.
#include <fcntl.h>
#include <unistd.h>
#include <gpiod.h>

extern int pipe2(int __pipedes[2], int __flags);

static inline int cantine_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
