// The kernel's view of the wall clock (adjtimex, read only: no privilege needed), as
// `timedatectl` reads it for "System clock synchronized": a time server (NTP) keeps the
// kernel's maximum error under 16 s; without one the error grows to 16 s and the kernel sets
// STA_UNSYNC, which is also the state at boot. A Pi without a real-time clock starts there.
#include <sys/timex.h>

/// 1 when synchronised, 0 when not, -1 when the kernel would not say.
static inline int cantine_clock_synchronized(void) {
    struct timex t = {0};
    if (adjtimex(&t) < 0) return -1;
    // systemd's criterion (it ignores STA_UNSYNC, which chrony leaves set without rtcsync).
    return t.maxerror < 16000000 ? 1 : 0;
}
