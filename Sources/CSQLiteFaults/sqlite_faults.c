// The power-cut and I/O-error VFS (see include/sqlite_faults.h). Writes go through to the real
// file at once, so reads need no special path; what the shim keeps is each touched block's
// content as of its file's last sync (its "pre-image"), which a power cut may give back.

#include "sqlite_faults.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 4096

typedef struct Block {
    int64_t index;
    int64_t first_op, last_op;
    int lo, hi;  // the bytes written since the sync, [lo, hi) within the block (none: lo == hi)
    unsigned char pre[BLOCK];
} Block;

typedef struct Tracked {
    char *path;
    int kind;
    int handles;
    int64_t synced_size;
    int64_t *size_ops, *sizes;  // each size change since the sync, in order: its op, the new size
    int nsizes, capsizes;
    Block **blocks;
    int nblocks, capblocks;
    int *slots;  // open addressing: block index -> position + 1
    int nslots;
} Tracked;

typedef struct FaultFile {
    sqlite3_file base;
    Tracked *tracked;
    sqlite3_file *real;
} FaultFile;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static Tracked **files;
static int nfiles, capfiles;
static int64_t ops, cut_at, ioerrs;
static int64_t written[3], syncs[3];  // by file kind: bytes written, syncs done
static int dead, label, cut_label = -1, cut_file = -1;
static uint32_t read_ppm, write_ppm;
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static char *scope;  // only files under this directory are touched

static uint32_t next_random(uint64_t *state) {
    // splitmix64
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static int fails(uint32_t ppm) { return ppm > 0 && next_random(&rng) % 1000000u < ppm; }

// --- tracked files ---

static Tracked *find_file(const char *path) {
    for (int i = 0; i < nfiles; i++)
        if (strcmp(files[i]->path, path) == 0) return files[i];
    return NULL;
}

// Forgets what the last sync made durable: the pre-images and the size changes.
static void free_blocks(Tracked *t) {
    for (int i = 0; i < t->nblocks; i++) free(t->blocks[i]);
    free(t->blocks);
    free(t->slots);
    free(t->size_ops);
    free(t->sizes);
    t->blocks = NULL;
    t->slots = NULL;
    t->size_ops = t->sizes = NULL;
    t->nblocks = t->capblocks = t->nslots = 0;
    t->nsizes = t->capsizes = 0;
}

static void record_size(Tracked *t, int64_t op, int64_t size) {
    if (t->nsizes == t->capsizes) {
        t->capsizes = t->capsizes ? t->capsizes * 2 : 16;
        t->size_ops = realloc(t->size_ops, sizeof(int64_t) * (size_t)t->capsizes);
        t->sizes = realloc(t->sizes, sizeof(int64_t) * (size_t)t->capsizes);
    }
    t->size_ops[t->nsizes] = op;
    t->sizes[t->nsizes++] = size;
}

static void forget_file(Tracked *t) {
    for (int i = 0; i < nfiles; i++) {
        if (files[i] == t) {
            files[i] = files[--nfiles];
            break;
        }
    }
    free_blocks(t);
    free(t->path);
    free(t);
}

static Block *find_block(Tracked *t, int64_t index) {
    if (t->nslots == 0) return NULL;
    for (int s = (int)((uint64_t)index * 2654435761u % (uint64_t)t->nslots);; s = (s + 1) % t->nslots) {
        if (t->slots[s] == 0) return NULL;
        Block *b = t->blocks[t->slots[s] - 1];
        if (b->index == index) return b;
    }
}

static void place(Tracked *t, int position) {
    int64_t index = t->blocks[position]->index;
    int s = (int)((uint64_t)index * 2654435761u % (uint64_t)t->nslots);
    while (t->slots[s] != 0) s = (s + 1) % t->nslots;
    t->slots[s] = position + 1;
}

static Block *add_block(Tracked *t, int64_t index) {
    if (t->nblocks == t->capblocks) {
        t->capblocks = t->capblocks ? t->capblocks * 2 : 64;
        t->blocks = realloc(t->blocks, sizeof(Block *) * (size_t)t->capblocks);
    }
    Block *b = calloc(1, sizeof(Block));
    b->index = index;
    t->blocks[t->nblocks++] = b;
    if (t->nblocks * 2 > t->nslots) {
        free(t->slots);
        t->nslots = t->nblocks * 4 + 1;
        t->slots = calloc((size_t)t->nslots, sizeof(int));
        for (int i = 0; i < t->nblocks; i++) place(t, i);
    } else {
        place(t, t->nblocks - 1);
    }
    return b;
}

// Keeps the synced content of the blocks [from, to) before they first change, and, for a
// write, which of their bytes it changes (a truncate writes none: it only moves the end).
static void keep_pre_images(FaultFile *f, int64_t from, int64_t to, int64_t op, int write) {
    Tracked *t = f->tracked;
    for (int64_t index = from / BLOCK; index * BLOCK < to; index++) {
        Block *b = find_block(t, index);
        if (b == NULL) {
            b = add_block(t, index);
            b->first_op = op;
            // Past the end the read is short and SQLite's unix VFS fills it with zeros.
            f->real->pMethods->xRead(f->real, b->pre, BLOCK, index * BLOCK);
        }
        if (!write) continue;
        b->last_op = op;
        int lo = from > index * BLOCK ? (int)(from - index * BLOCK) : 0;
        int hi = to < (index + 1) * BLOCK ? (int)(to - index * BLOCK) : BLOCK;
        if (b->lo == b->hi) {
            b->lo = lo, b->hi = hi;
        } else {
            if (lo < b->lo) b->lo = lo;
            if (hi > b->hi) b->hi = hi;
        }
    }
}

static int64_t size_of(sqlite3_file *real) {
    sqlite3_int64 size = 0;
    return real->pMethods->xFileSize(real, &size) == SQLITE_OK ? size : 0;
}

// Counts a write operation; returns the error to return instead of doing it, or SQLITE_OK.
// Sets *cut when this operation is the one the power fails in.
static int count_op(FaultFile *f, int error, int64_t *op, int *cut) {
    *cut = 0;
    *op = ++ops;
    if (dead) return error;
    if (fails(write_ppm)) {
        ioerrs++;
        return error;
    }
    if (cut_at != 0 && *op == cut_at) {
        dead = 1;
        *cut = 1;
        cut_label = label;
        cut_file = f->tracked->kind;
    }
    return SQLITE_OK;
}

// --- io methods ---

static int f_close(sqlite3_file *file) {
    FaultFile *f = (FaultFile *)file;
    int rc = f->real->pMethods->xClose(f->real);
    pthread_mutex_lock(&mutex);
    if (f->tracked) f->tracked->handles--;
    pthread_mutex_unlock(&mutex);
    return rc;
}

static int f_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off) {
    FaultFile *f = (FaultFile *)file;
    if (f->tracked == NULL) return f->real->pMethods->xRead(f->real, buf, amt, off);
    pthread_mutex_lock(&mutex);
    int fail = fails(read_ppm);
    if (fail) ioerrs++;
    pthread_mutex_unlock(&mutex);
    if (fail) return SQLITE_IOERR_READ;
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int f_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off) {
    FaultFile *f = (FaultFile *)file;
    if (f->tracked == NULL) return f->real->pMethods->xWrite(f->real, buf, amt, off);
    pthread_mutex_lock(&mutex);
    int64_t op;
    int cut;
    int rc = count_op(f, SQLITE_IOERR_WRITE, &op, &cut);
    if (rc != SQLITE_OK) {
        pthread_mutex_unlock(&mutex);
        return rc;
    }
    int n = amt;
    if (cut) n = (int)(next_random(&rng) % (uint32_t)amt);  // the power fails mid-write
    if (n > 0) {
        keep_pre_images(f, off, off + n, op, 1);
        if (off + n > size_of(f->real)) record_size(f->tracked, op, off + n);
    }
    rc = n > 0 ? f->real->pMethods->xWrite(f->real, buf, n, off) : SQLITE_OK;
    if (rc == SQLITE_OK) written[f->tracked->kind] += n;
    pthread_mutex_unlock(&mutex);
    return cut ? SQLITE_IOERR_WRITE : rc;
}

static int f_truncate(sqlite3_file *file, sqlite3_int64 size) {
    FaultFile *f = (FaultFile *)file;
    if (f->tracked == NULL) return f->real->pMethods->xTruncate(f->real, size);
    pthread_mutex_lock(&mutex);
    int64_t op;
    int cut;
    int rc = count_op(f, SQLITE_IOERR_TRUNCATE, &op, &cut);
    if (rc != SQLITE_OK || cut) {
        pthread_mutex_unlock(&mutex);
        return cut ? SQLITE_IOERR_TRUNCATE : rc;
    }
    {
        int64_t current = size_of(f->real);
        if (size < current) keep_pre_images(f, size, current, op, 0);
        if (size != current) record_size(f->tracked, op, size);
    }
    rc = f->real->pMethods->xTruncate(f->real, size);
    pthread_mutex_unlock(&mutex);
    return rc;
}

static int f_sync(sqlite3_file *file, int flags) {
    FaultFile *f = (FaultFile *)file;
    if (f->tracked == NULL) return f->real->pMethods->xSync(f->real, flags);
    pthread_mutex_lock(&mutex);
    int64_t op;
    int cut;
    int rc = count_op(f, SQLITE_IOERR_FSYNC, &op, &cut);
    if (rc != SQLITE_OK || cut) {  // a sync the power cut never completes
        pthread_mutex_unlock(&mutex);
        return cut ? SQLITE_IOERR_FSYNC : rc;
    }
    rc = f->real->pMethods->xSync(f->real, flags);
    if (rc == SQLITE_OK) {
        syncs[f->tracked->kind]++;
        free_blocks(f->tracked);
        f->tracked->synced_size = size_of(f->real);
    }
    pthread_mutex_unlock(&mutex);
    return rc;
}

static int f_file_size(sqlite3_file *file, sqlite3_int64 *size) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xFileSize(f->real, size);
}
static int f_lock(sqlite3_file *file, int level) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xLock(f->real, level);
}
static int f_unlock(sqlite3_file *file, int level) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}
static int f_check_reserved(sqlite3_file *file, int *out) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}
static int f_file_control(sqlite3_file *file, int op, void *arg) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}
static int f_sector_size(sqlite3_file *file) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}
static int f_device_characteristics(sqlite3_file *file) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}
static int f_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}
static int f_shm_lock(sqlite3_file *file, int offset, int n, int flags) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}
static void f_shm_barrier(sqlite3_file *file) {
    FaultFile *f = (FaultFile *)file;
    f->real->pMethods->xShmBarrier(f->real);
}
static int f_shm_unmap(sqlite3_file *file, int delete_flag) {
    FaultFile *f = (FaultFile *)file;
    return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}
static int f_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out) {
    // No memory-mapped reads: every read goes through xRead.
    (void)file, (void)off, (void)amt;
    *out = NULL;
    return SQLITE_OK;
}
static int f_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p) {
    (void)file, (void)off, (void)p;
    return SQLITE_OK;
}

static const sqlite3_io_methods fault_io = {
    3, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock, f_check_reserved,
    f_file_control, f_sector_size, f_device_characteristics, f_shm_map, f_shm_lock, f_shm_barrier,
    f_shm_unmap, f_fetch, f_unfetch,
};

// --- vfs ---

static int v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags) {
    (void)vfs;
    FaultFile *f = (FaultFile *)file;
    f->real = (sqlite3_file *)&f[1];
    f->tracked = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        f->base.pMethods = NULL;
        return rc;
    }
    f->base.pMethods = &fault_io;
    int kind = (flags & SQLITE_OPEN_MAIN_DB) ? CFAULT_MAIN_DB : (flags & SQLITE_OPEN_WAL) ? CFAULT_WAL : CFAULT_OTHER;
    pthread_mutex_lock(&mutex);
    int in_scope = name != NULL && scope != NULL && strncmp(name, scope, strlen(scope)) == 0;
    pthread_mutex_unlock(&mutex);
    if (in_scope && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL))) {
        pthread_mutex_lock(&mutex);
        Tracked *t = find_file(name);
        if (t == NULL) {
            t = calloc(1, sizeof(Tracked));
            t->path = strdup(name);
            t->kind = kind;
            t->synced_size = size_of(f->real);
            if (nfiles == capfiles) {
                capfiles = capfiles ? capfiles * 2 : 8;
                files = realloc(files, sizeof(Tracked *) * (size_t)capfiles);
            }
            files[nfiles++] = t;
        }
        t->handles++;
        f->tracked = t;
        pthread_mutex_unlock(&mutex);
    }
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    (void)vfs;
    pthread_mutex_lock(&mutex);
    if (dead && scope != NULL && strncmp(name, scope, strlen(scope)) == 0) {
        pthread_mutex_unlock(&mutex);
        return SQLITE_IOERR_DELETE;
    }
    Tracked *t = find_file(name);
    if (t != NULL && t->handles == 0) forget_file(t);
    pthread_mutex_unlock(&mutex);
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static void *v_dl_open(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}
static void v_dl_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, out);
}
static void (*v_dl_sym(sqlite3_vfs *vfs, void *handle, const char *name))(void) {
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, handle, name);
}
static void v_dl_close(sqlite3_vfs *vfs, void *handle) {
    (void)vfs;
    real_vfs->xDlClose(real_vfs, handle);
}
static int v_randomness(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int v_sleep(sqlite3_vfs *vfs, int micros) {
    (void)vfs;
    return real_vfs->xSleep(real_vfs, micros);
}
static int v_current_time(sqlite3_vfs *vfs, double *out) {
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}
static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

int cfault_install(void) {
    pthread_mutex_lock(&mutex);
    int rc = SQLITE_OK;
    if (real_vfs == NULL) {
        real_vfs = sqlite3_vfs_find(NULL);
        fault_vfs.iVersion = 2;
        fault_vfs.szOsFile = (int)sizeof(FaultFile) + real_vfs->szOsFile;
        fault_vfs.mxPathname = real_vfs->mxPathname;
        fault_vfs.zName = "cantine-faults";
        fault_vfs.xOpen = v_open;
        fault_vfs.xDelete = v_delete;
        fault_vfs.xAccess = v_access;
        fault_vfs.xFullPathname = v_full_pathname;
        fault_vfs.xDlOpen = v_dl_open;
        fault_vfs.xDlError = v_dl_error;
        fault_vfs.xDlSym = v_dl_sym;
        fault_vfs.xDlClose = v_dl_close;
        fault_vfs.xRandomness = v_randomness;
        fault_vfs.xSleep = v_sleep;
        fault_vfs.xCurrentTime = v_current_time;
        fault_vfs.xGetLastError = v_get_last_error;
        fault_vfs.xCurrentTimeInt64 = v_current_time_int64;
        rc = sqlite3_vfs_register(&fault_vfs, 1);
    }
    pthread_mutex_unlock(&mutex);
    return rc;
}

void cfault_scope(const char *directory) {
    pthread_mutex_lock(&mutex);
    free(scope);
    scope = directory ? strdup(directory) : NULL;
    pthread_mutex_unlock(&mutex);
}

void cfault_arm(int64_t op) {
    pthread_mutex_lock(&mutex);
    cut_at = op;
    pthread_mutex_unlock(&mutex);
}

int64_t cfault_ops(void) {
    pthread_mutex_lock(&mutex);
    int64_t n = ops;
    pthread_mutex_unlock(&mutex);
    return n;
}

int cfault_dead(void) {
    pthread_mutex_lock(&mutex);
    int d = dead;
    pthread_mutex_unlock(&mutex);
    return d;
}

void cfault_set_label(int value) {
    pthread_mutex_lock(&mutex);
    label = value;
    pthread_mutex_unlock(&mutex);
}

int cfault_cut_label(void) { return cut_label; }
int cfault_cut_file(void) { return cut_file; }

// Rewrites one file as the disk may hold it after the power failed.
//
// Its size is metadata, which a journaling file system commits in order: the disk holds the
// size after some prefix of the changes since the sync (in order: those before `order_cut`).
// The synced content survives below every size that prefix went through; above it, what was
// cut off reads as zeros. The bytes written since the sync reach the disk or not block by
// block (in order: the blocks last written before `order_cut`), and never change a byte
// outside what was written (SQLite's powersafe-overwrite assumption, which the unix VFS
// declares). One written block may be torn: new content up to a random byte of what was
// written, the old after it (or the reverse when the block did not reach the disk).
static int64_t crash_file(Tracked *t, uint64_t *state, int flags, int64_t order_cut) {
    int fd = open(t->path, O_RDWR);
    if (fd < 0) return 0;
    struct stat st;
    int64_t current = fstat(fd, &st) == 0 ? st.st_size : 0;
    int applied = 0;
    if (flags & CFAULT_REORDER) {
        applied = (int)(next_random(state) % (uint32_t)(t->nsizes + 1));
    } else {
        while (applied < t->nsizes && t->size_ops[applied] < order_cut) applied++;
    }
    int64_t final = applied > 0 ? t->sizes[applied - 1] : t->synced_size;
    int64_t floor = t->synced_size;
    for (int k = 0; k < applied; k++)
        if (t->sizes[k] < floor) floor = t->sizes[k];
    unsigned char *keep = calloc((size_t)t->nblocks + 1, 1);
    int written = 0;
    for (int i = 0; i < t->nblocks; i++) {
        Block *b = t->blocks[i];
        if (b->lo == b->hi) continue;
        written++;
        keep[i] = (flags & CFAULT_REORDER) ? (unsigned char)(next_random(state) & 1) : (b->last_op < order_cut);
        // A block that reached the disk past the old end makes the file that long.
        if (keep[i] && b->index * BLOCK < current) {
            int64_t end = b->index * BLOCK + b->hi < current ? b->index * BLOCK + b->hi : current;
            if (end > final) final = end;
        }
    }
    int torn = -1;
    if ((flags & CFAULT_TEAR) && written > 0) {
        int nth = (int)(next_random(state) % (uint32_t)written);
        for (int i = 0; i < t->nblocks && torn < 0; i++)
            if (t->blocks[i]->lo != t->blocks[i]->hi && nth-- == 0) torn = i;
    }
    int64_t lost = 0;
    unsigned char fresh[BLOCK], out[BLOCK];
    for (int i = 0; i < t->nblocks; i++) {
        Block *b = t->blocks[i];
        int64_t at = b->index * BLOCK;
        if (at >= final) continue;
        size_t len = (size_t)(final - at < BLOCK ? final - at : BLOCK);
        memset(fresh, 0, sizeof fresh);
        if (at < current) {
            ssize_t got = pread(fd, fresh, (size_t)(current - at < BLOCK ? current - at : BLOCK), at);
            (void)got;
        }
        // The old content: what the sync left, where no applied truncation cut it off.
        for (int j = 0; j < BLOCK; j++) out[j] = at + j < floor ? b->pre[j] : 0;
        if (b->lo != b->hi) {
            int split = i == torn ? b->lo + (int)(next_random(state) % (uint32_t)(b->hi - b->lo)) : b->hi;
            if (keep[i]) {
                memcpy(out + b->lo, fresh + b->lo, (size_t)(split - b->lo));
            } else if (i == torn) {
                memcpy(out + split, fresh + split, (size_t)(b->hi - split));
            }
            if (!keep[i] || i == torn) lost++;
        }
        ssize_t put = pwrite(fd, out, len, at);
        (void)put;
    }
    if (ftruncate(fd, final) != 0) {
        // Left as it is: the next open reads what is there.
    }
    close(fd);
    free(keep);
    return lost;
}

int64_t cfault_crash(uint32_t seed, int flags) {
    pthread_mutex_lock(&mutex);
    for (int i = 0; i < nfiles; i++) {
        if (files[i]->handles > 0) {
            pthread_mutex_unlock(&mutex);
            return -1;
        }
    }
    uint64_t state = ((uint64_t)seed << 32) ^ 0xD1B54A32D192ED03ull;
    // In order: the writes before a random one reached the disk, none after it.
    int64_t first = ops, last = 0;
    for (int i = 0; i < nfiles; i++)
        for (int j = 0; j < files[i]->nblocks; j++) {
            if (files[i]->blocks[j]->first_op < first) first = files[i]->blocks[j]->first_op;
            if (files[i]->blocks[j]->last_op > last) last = files[i]->blocks[j]->last_op;
        }
    for (int i = 0; i < nfiles; i++)
        for (int k = 0; k < files[i]->nsizes; k++) {
            if (files[i]->size_ops[k] < first) first = files[i]->size_ops[k];
            if (files[i]->size_ops[k] > last) last = files[i]->size_ops[k];
        }
    int64_t order_cut = last >= first ? first + (int64_t)(next_random(&state) % (uint64_t)(last - first + 2)) : 0;
    int64_t lost = 0;
    for (int i = 0; i < nfiles; i++) {
        lost += crash_file(files[i], &state, flags, order_cut);
        if (files[i]->kind == CFAULT_MAIN_DB) {
            size_t n = strlen(files[i]->path);
            char *shm = malloc(n + 5);
            memcpy(shm, files[i]->path, n);
            memcpy(shm + n, "-shm", 5);
            unlink(shm);
            free(shm);
        }
    }
    while (nfiles > 0) forget_file(files[0]);
    dead = 0;
    cut_at = 0;
    pthread_mutex_unlock(&mutex);
    return lost;
}

void cfault_reset(void) {
    pthread_mutex_lock(&mutex);
    // Files still open stay tracked (their handles point at them), only their blocks go.
    for (int i = nfiles - 1; i >= 0; i--) {
        if (files[i]->handles == 0) {
            forget_file(files[i]);
        } else {
            free_blocks(files[i]);
        }
    }
    ops = 0;
    cut_at = 0;
    dead = 0;
    cut_label = cut_file = -1;
    pthread_mutex_unlock(&mutex);
}

void cfault_ioerr(uint32_t read, uint32_t write, uint32_t seed) {
    pthread_mutex_lock(&mutex);
    read_ppm = read;
    write_ppm = write;
    rng = ((uint64_t)seed << 32) ^ 0x9E3779B97F4A7C15ull;
    pthread_mutex_unlock(&mutex);
}

int64_t cfault_ioerr_count(void) {
    pthread_mutex_lock(&mutex);
    int64_t n = ioerrs;
    pthread_mutex_unlock(&mutex);
    return n;
}

int64_t cfault_written(int kind) {
    pthread_mutex_lock(&mutex);
    int64_t n = kind >= 0 && kind < 3 ? written[kind] : 0;
    pthread_mutex_unlock(&mutex);
    return n;
}

int64_t cfault_syncs(int kind) {
    pthread_mutex_lock(&mutex);
    int64_t n = kind >= 0 && kind < 3 ? syncs[kind] : 0;
    pthread_mutex_unlock(&mutex);
    return n;
}
