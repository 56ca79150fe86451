// One daemon per database: an exclusive flock(2) on `<db>.lock`, released by the kernel
// when the holder dies (kill -9 included), so a stale lock never needs cleaning up.

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive, non-blocking lock held for the life of the process (or until `release`).
public final class ProcessLock: @unchecked Sendable {
    private var fd: Int32
    public let path: String

    /// Takes the lock for the database at `databasePath`, or explains who holds it.
    public init(databasePath: String) throws(StoreError) {
        path = databasePath + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError("cannot create lock file \(path): \(String(cString: strerror(errno)))")
        }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let holder =
                (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            fd = -1
            let who = holder.isEmpty ? "another cantine process" : "another cantine process (pid \(holder))"
            throw StoreError(
                .unavailable,
                "database \(databasePath) is in use by \(who): stop it first (e.g. systemctl stop cantine)")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    /// True when another process holds the lock on `databasePath` right now.
    public static func isHeld(databasePath: String) -> Bool {
        let fd = open(databasePath + ".lock", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    /// Releases the lock.
    public func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
