// Staff accounts, their web sessions and API tokens: who may see the dashboard and the API.
// Not journaled (they are not events of the site). Only hashes of secrets are stored: the
// web edge hashes passwords with bcrypt and random tokens with SHA-256 before they get here.

import Foundation
import GRDB

/// A staff member who signs in to the dashboard.
public struct StaffRecord: CantineRecord, Equatable {
    public static let databaseTableName = "staff"
    public var username: String
    public var displayName: String
    public var passwordHash: String
    /// `staff` or `admin`.
    public var role: String
    public var createdUs: Int64
    public var disabledUs: Int64?

    public init(
        username: String, displayName: String, passwordHash: String, role: String, createdUs: Int64,
        disabledUs: Int64? = nil
    ) {
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.role = role
        self.createdUs = createdUs
        self.disabledUs = disabledUs
    }
}

/// A signed-in browser: the SHA-256 of its cookie, and its CSRF token.
public struct WebSessionRecord: CantineRecord, Equatable {
    public static let databaseTableName = "web_sessions"
    public var tokenHash: String
    public var username: String
    public var csrf: String
    public var createdUs: Int64
    public var expiresUs: Int64

    public init(tokenHash: String, username: String, csrf: String, createdUs: Int64, expiresUs: Int64) {
        self.tokenHash = tokenHash
        self.username = username
        self.csrf = csrf
        self.createdUs = createdUs
        self.expiresUs = expiresUs
    }
}

/// A machine client's bearer token (its SHA-256 only).
public struct APITokenRecord: CantineRecord, Equatable {
    public static let databaseTableName = "api_tokens"
    public var id: String
    public var name: String
    public var tokenHash: String
    /// `reader`, `staff` or `admin`.
    public var role: String
    public var createdUs: Int64
    public var revokedUs: Int64?

    public init(id: String, name: String, tokenHash: String, role: String, createdUs: Int64, revokedUs: Int64? = nil) {
        self.id = id
        self.name = name
        self.tokenHash = tokenHash
        self.role = role
        self.createdUs = createdUs
        self.revokedUs = revokedUs
    }
}

extension Store {
    /// Adds a staff account; refuses a username already taken.
    public func addStaff(_ record: StaffRecord) throws {
        try pool.write { db in
            if try StaffRecord.fetchOne(db, key: record.username) != nil {
                throw StoreError(
                    .conflict,
                    "staff account '\(record.username)' already exists: pick another username, or use `cantine staff password`"
                )
            }
            try record.insert(db)
        }
    }

    /// Changes a staff member's password hash and signs them out everywhere.
    public func setStaffPassword(_ username: String, hash: String) throws {
        try pool.write { db in
            guard var record = try StaffRecord.fetchOne(db, key: username) else {
                throw StoreError(.notFound, "no staff account '\(username)': see `cantine staff list`")
            }
            record.passwordHash = hash
            try record.update(db)
            try db.execute(sql: "DELETE FROM web_sessions WHERE username = ?", arguments: [username])
        }
    }

    /// A staff account by username.
    public func staff(_ username: String) throws -> StaffRecord? {
        try pool.read { db in try StaffRecord.fetchOne(db, key: username) }
    }

    /// Every staff account, by username.
    public func allStaff() throws -> [StaffRecord] {
        try pool.read { db in try StaffRecord.order(Column("username")).fetchAll(db) }
    }

    /// Opens a web session (and drops expired ones).
    public func openWebSession(_ record: WebSessionRecord) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM web_sessions WHERE expires_us <= ?", arguments: [record.createdUs])
            try record.insert(db)
        }
    }

    /// The live session with this cookie hash and its enabled account, if any.
    public func webSession(tokenHash: String, nowUs: Int64) throws -> (WebSessionRecord, StaffRecord)? {
        try pool.read { db in
            guard let session = try WebSessionRecord.fetchOne(db, key: tokenHash), session.expiresUs > nowUs,
                let staff = try StaffRecord.fetchOne(db, key: session.username), staff.disabledUs == nil
            else { return nil }
            return (session, staff)
        }
    }

    /// Ends a web session (sign out).
    public func closeWebSession(tokenHash: String) throws {
        try pool.write { db in
            _ = try WebSessionRecord.deleteOne(db, key: tokenHash)
        }
    }

    /// Adds an API token.
    public func addAPIToken(_ record: APITokenRecord) throws {
        try pool.write { db in
            if try APITokenRecord.fetchOne(db, key: record.id) != nil {
                throw StoreError(.conflict, "API token '\(record.id)' already exists: pick another id")
            }
            try record.insert(db)
        }
    }

    /// The unrevoked token with this hash.
    public func apiToken(hash: String) throws -> APITokenRecord? {
        try pool.read { db in
            try APITokenRecord.filter(Column("token_hash") == hash && Column("revoked_us") == nil).fetchOne(db)
        }
    }

    /// Every API token (revoked ones included), oldest first.
    public func allAPITokens() throws -> [APITokenRecord] {
        try pool.read { db in try APITokenRecord.order(Column("created_us"), Column("id")).fetchAll(db) }
    }

    /// Revokes a token; it stops working at once.
    public func revokeAPIToken(_ id: String, nowUs: Int64) throws {
        try pool.write { db in
            guard var record = try APITokenRecord.fetchOne(db, key: id) else {
                throw StoreError(.notFound, "no API token '\(id)': see `cantine tokens list`")
            }
            guard record.revokedUs == nil else { return }
            record.revokedUs = nowUs
            try record.update(db)
        }
    }
}
