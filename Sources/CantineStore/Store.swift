// The Cantine database: one SQLite file in WAL mode, opened with clear errors for every
// way it can be wrong (missing directory, not a database, newer schema), then migrated.

import Foundation
import GRDB

/// A one-line, user-facing store error.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure: the site answers its own code from it.
    public enum Code: Sendable, Equatable {
        /// What was named does not exist (the database, an account, a token).
        case notFound
        /// It exists already.
        case conflict
        /// The file is not a Cantine database, or is damaged.
        case corrupt
        /// It cannot be done now (permissions, a full disk, another process, readers).
        case unavailable
        /// Anything else.
        case failed
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public init(_ message: String) { self.init(.failed, message) }
    public var description: String { message }
}

/// The database of one site: journal, snapshots, records, inbox.
public final class Store: Sendable {
    /// Path of the SQLite file.
    public let path: String
    /// The WAL pool: one writer, concurrent readers.
    let pool: DatabasePool

    /// How to open the database.
    public enum Mode: Sendable {
        /// Create the file when missing (`cantine init`, the demo).
        case create
        /// Require an existing database.
        case existing
    }

    /// Opens (and migrates) the database at `path`.
    public init(path: String, mode: Mode = .existing) throws(StoreError) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw StoreError(
                .notFound,
                "database directory \(dir) does not exist: create it (mkdir -p \(dir)) or change [database] path")
        }
        let exists = FileManager.default.fileExists(atPath: path)
        if mode == .existing && !exists {
            throw StoreError(.notFound, "no database at \(path): run `cantine init` first")
        }
        var config = Configuration()
        config.busyMode = .timeout(5)
        // Memory on a small board: SQLite's default page cache is 2 MB per connection, with a
        // writer and up to five readers (12 MB). The OS caches the file anyway, and the writer
        // mostly appends: it keeps 512 KB, each of at most three readers 128 KB.
        config.maximumReaderCount = Self.readers
        config.prepareDatabase { db in
            try db.execute(sql: db.configuration.readonly ? "PRAGMA cache_size = -128" : "PRAGMA cache_size = -512")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Deleted rows are overwritten with zeros, not left in free pages (erasure).
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB sets `synchronous = NORMAL` on the writer when it turns WAL on, after
            // prepareDatabase: a commit would then reach the disk only at the next checkpoint, and
            // a power cut could take entries already reported durable (found by the power-cut
            // bench). FULL syncs the WAL at every commit.
            let synchronous = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            guard synchronous == 2 else {
                throw StoreError("database \(path): SQLite refused synchronous = FULL (it says \(synchronous ?? -1))")
            }
            try pool.read { db in _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        } catch let error as DatabaseError {
            throw Self.explain(error, path: path)
        } catch {
            throw StoreError("cannot open database \(path): \(error)")
        }
        do {
            let migrator = Self.migrator
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
                let unknown = applied.subtracting(migrator.migrations).sorted().joined(separator: ", ")
                throw StoreError(
                    "database \(path) was written by a newer cantine (schema \(unknown)): upgrade cantine, or restore a backup"
                )
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw Self.explain(error, path: path)
        } catch {
            throw StoreError("cannot migrate database \(path): \(error)")
        }
    }

    /// Concurrent reader connections at most.
    public static let readers = 3

    static func explain(_ error: DatabaseError, path: String) -> StoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StoreError(
                .corrupt,
                "database \(path) is corrupted or not a Cantine database: restore a backup, or move it aside and run `cantine init`"
            )
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            return StoreError(
                .unavailable, "cannot open database \(path) for writing: check the file and directory permissions")
        case .SQLITE_FULL:
            return StoreError(.unavailable, "disk full while writing \(path): free space on the device")
        default:
            return StoreError("database \(path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// The schema version this build writes (the last migration's identifier).
    public static var schemaVersion: String { migrator.migrations.last ?? "none" }

    /// Applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// `PRAGMA integrity_check`: "ok" or the problems SQLite found.
    public func integrityCheck() throws -> String {
        try pool.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
        }
    }

    /// Pins the database at its size, as a full disk does (SQLite's `max_page_count`: a write
    /// needing a new page fails with SQLITE_FULL), or lets it grow again: the chaos bench's full
    /// disk, without filling one.
    public func pinSize(_ pinned: Bool) async throws {
        // SQLite never sets the maximum below the file's size: 1 pins it where it is.
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: pinned ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 1073741823")
        }
    }

    /// Closes every connection now (the power-cut bench, before it reopens the files as a
    /// restarted board would). The store is unusable afterwards.
    public func close() throws {
        try pool.close()
    }

    /// A value from the meta table.
    public func meta(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// Sets a meta value unless one is already there; returns the value stored.
    @discardableResult
    public func metaSetIfAbsent(_ key: String, _ value: String) throws -> String {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
            return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) ?? value
        }
    }
}
