// What the soak bench reads to tell a leak from a cache: glibc's heap accounting
// (mallinfo2: bytes in use vs held) and SQLite's own allocator (sqlite3_memory_used, which
// includes its page caches). The soak reads these; the daemon calls malloc_trim (Services.swift).
#include <malloc.h>
#include <sqlite3.h>
