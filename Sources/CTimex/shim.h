// The kernel's view of the wall clock (adjtimex, read only: no privilege needed), as
// `timedatectl` reads it for "System clock synchronized": a time server (NTP) keeps the
// kernel's maximum error under 16 s; without one the error grows to 16 s and the kernel sets
// STA_UNSYNC, which is also the state at boot. A Pi without a real-time clock starts there.
#include <sys/timex.h>

/// 1 when synchronised, 0 when not, -1 when the kernel would not say. `*unsync` gets the
/// STA_UNSYNC bit, `*max_error_us` the kernel's maximum error estimate.
static inline int cantine_clock_synchronized(int *unsync, long *max_error_us) {
    struct timex t = {0};
    int rc = adjtimex(&t);
    if (rc < 0) return -1;
    *unsync = (t.status & STA_UNSYNC) != 0;
    *max_error_us = t.maxerror;
    // systemd's criterion (it ignores STA_UNSYNC, which chrony leaves set without rtcsync).
    return t.maxerror < 16000000 ? 1 : 0;
}
