// A power-cut and I/O-error shim for SQLite, after SQLite's own crash tests (test6.c): a VFS
// that wraps the default one, keeps what every block of the database and its WAL held at the
// last sync, and on a simulated power cut gives each block back either its new content or
// the synced one (in order or reordered, one written block optionally torn; sizes change in
// order, and no byte outside what was written changes). It can also fail
// reads and writes at random with SQLITE_IOERR. Used by `cantine bench powercut` and its tests;
// the daemon never installs it.

#ifndef CANTINE_SQLITE_FAULTS_H
#define CANTINE_SQLITE_FAULTS_H

#include <stdint.h>

/// File kinds the shim tracks.
enum { CFAULT_MAIN_DB = 0, CFAULT_WAL = 1, CFAULT_OTHER = 2 };

/// How a power cut treats what was written since the last sync.
enum {
    /// Every block written since its file's last sync keeps or loses its new content on its
    /// own (the disk's cache reorders); without it, writes reach the disk in the order made.
    CFAULT_REORDER = 1,
    /// One block written since the last sync is torn at a random byte of what was written:
    /// new before, old after (or the reverse). Blocks a truncation only cut off are never torn.
    CFAULT_TEAR = 2,
};

/// Registers the shim as SQLite's default VFS (idempotent). Returns SQLITE_OK. It touches
/// nothing until given a scope.
int cfault_install(void);

/// Limits the shim to the files under `directory` (a path prefix; NULL: none). Files elsewhere
/// go straight to the default VFS, untouched and uncounted, so other databases of the process
/// never see a cut or an error.
void cfault_scope(const char *directory);

/// Arms a power cut at write operation `op` (writes, syncs and truncates counted from 1 since
/// the last `cfault_reset`); 0 disarms. The operation at the cut is done only in part (a prefix
/// of a write) and fails; every later write, sync or truncate fails, as on a board without power.
void cfault_arm(int64_t op);

/// Write operations so far (since the last reset).
int64_t cfault_ops(void);

/// Whether the armed cut has happened.
int cfault_dead(void);

/// A label for the operations that follow (the load's step kind), recorded with the cut.
void cfault_set_label(int label);

/// The label and the file kind of the operation the cut fell on (-1 before a cut).
int cfault_cut_label(void);
int cfault_cut_file(void);

/// The power cut itself: every tracked file gets back, block by block, what a disk could hold
/// after losing power (see the flags), its `-shm` is removed (it lived in memory), the shim
/// forgets its files and writes again. Every connection must be closed first: returns -1 when
/// some file is still open, else the number of blocks that lost their new content.
int64_t cfault_crash(uint32_t seed, int flags);

/// Forgets every tracked file and the counters (a new database), leaves the shim writing.
void cfault_reset(void);

/// Fails reads and writes (syncs and truncates count as writes) with SQLITE_IOERR with these
/// probabilities in parts per million, drawn from `seed`. 0, 0 stops the errors.
void cfault_ioerr(uint32_t read_ppm, uint32_t write_ppm, uint32_t seed);

/// Errors returned so far by `cfault_ioerr`.
int64_t cfault_ioerr_count(void);

/// Bytes written to, and syncs of, the tracked files of one kind (`CFAULT_MAIN_DB`,
/// `CFAULT_WAL`) so far: where a load's disk writes go (the soak bench).
int64_t cfault_written(int kind);
int64_t cfault_syncs(int kind);

#endif
