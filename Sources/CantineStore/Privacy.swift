// Personal data, the store's side: per-member keys sealing the one personal payload the
// journal carries (crypto-shredding), everything held about a member (their export), their
// erasure (secure_delete, then a truncated WAL: nothing survives in free pages or the log),
// and retention pruning of the records.

import CantineCore
import Crypto
import Foundation
import GRDB

/// A member's profile as sealed into the journal on registration.
public struct SealedProfile: Codable, Equatable, Sendable {
    public var name: String
    public var email: String?
    public init(name: String, email: String?) {
        self.name = name
        self.email = email
    }
}

/// Per-member keys (ChaCha20-Poly1305, 256-bit), kept in `member_keys` beside the member's
/// records and deleted with them.
public enum MemberKeys {
    /// A fresh random key.
    public static func make() -> Data { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) } }

    /// `profile` sealed under `key`, as base64 (nonce, ciphertext and tag).
    public static func seal(_ profile: SealedProfile, key: Data, member: String) throws -> String {
        let plain = try JSONEncoder().encode(profile)
        // The member id is authenticated: a sealed profile moved to another member fails to open.
        let box = try ChaChaPoly.seal(plain, using: SymmetricKey(data: key), authenticating: Data(member.utf8))
        return box.combined.base64EncodedString()
    }

    /// The profile in `sealed`, or nil when it cannot be opened (wrong or erased key).
    public static func open(_ sealed: String, key: Data, member: String) -> SealedProfile? {
        guard let data = Data(base64Encoded: sealed), let box = try? ChaChaPoly.SealedBox(combined: data),
            let plain = try? ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: Data(member.utf8))
        else { return nil }
        return try? JSONDecoder().decode(SealedProfile.self, from: plain)
    }

    /// Stores a member's key (in the transaction that registers them).
    static func insert(_ key: Data, member: String, site: String, createdUs: Int64, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO member_keys(member_id, site, key, created_us) VALUES (?,?,?,?)",
            arguments: [member, site, key, createdUs])
    }

    /// A member's key; nil once erased (or for members registered before keys existed).
    static func key(member: String, _ db: Database) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT key FROM member_keys WHERE member_id = ?", arguments: [member])
    }
}

/// Rows an erasure removed, per table.
public struct ErasureCounts: Codable, Equatable, Sendable {
    public var members = 0
    public var keys = 0
    public var credentials = 0
    public var plans = 0
    public var bookings = 0
    public var accessLog = 0
    public var unknownReads = 0
    public var outbox = 0
    public init() {}
    enum CodingKeys: String, CodingKey {
        case members, keys, credentials, plans, bookings, accessLog = "access_log", unknownReads = "unknown_reads"
        case outbox
    }
}

/// Rows retention removed, per kind of data.
public struct RetentionCounts: Codable, Equatable, Sendable {
    public var accessLog = 0
    public var bookings = 0
    public var unknownReads = 0
    public init() {}
    enum CodingKeys: String, CodingKey {
        case accessLog = "access_log", bookings, unknownReads = "unknown_reads"
    }
}

extension Store {
    /// Deletes every record about `member` (inside the transaction that journals the erasure):
    /// profile, key, badges (and the unknown reads of those cards), plans, bookings, access
    /// log rows, MQTT messages still queued that name them.
    static func eraseRecords(member: String, _ db: Database) throws -> ErasureCounts {
        var n = ErasureCounts()
        func delete(_ sql: String, _ arguments: StatementArguments) throws -> Int {
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
        n.unknownReads = try delete(
            """
            DELETE FROM unknown_reads WHERE EXISTS (SELECT 1 FROM credentials c WHERE c.member_id = ?
                AND c.format = unknown_reads.format AND c.facility = unknown_reads.facility
                AND c.card_number = unknown_reads.card_number)
            """, [member])
        n.credentials = try delete("DELETE FROM credentials WHERE member_id = ?", [member])
        n.plans = try delete("DELETE FROM plans WHERE member_id = ?", [member])
        n.bookings = try delete("DELETE FROM bookings WHERE member_id = ?", [member])
        n.accessLog = try delete("DELETE FROM access_log WHERE member_id = ?", [member])
        n.keys = try delete("DELETE FROM member_keys WHERE member_id = ?", [member])
        n.outbox = try delete(
            "DELETE FROM mqtt_outbox WHERE instr(CAST(payload AS TEXT), ?) > 0", [#""member":"\#(member)""#])
        n.members = try delete("DELETE FROM members WHERE id = ?", [member])
        return n
    }

    /// Checkpoints the WAL into the database and truncates it to zero bytes, so no page image
    /// of deleted rows survives in it. Retries while readers hold older snapshots.
    public func truncateWAL(attempts: Int = 50) throws(StoreError) {
        for _ in 0..<attempts {
            do {
                let busy = try pool.writeWithoutTransaction { db in
                    try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)").map { ($0[0] as Int64) != 0 } ?? true
                }
                if !busy { return }
            } catch let error as DatabaseError {
                throw Self.explain(error, path: path)
            } catch {
                throw StoreError(.unavailable, "cannot checkpoint \(path): \(error)")
            }
            usleep(20_000)
        }
        throw StoreError(.unavailable, "cannot truncate the WAL of \(path): readers keep it busy; try again")
    }

    /// Deletes records past their retention: access log rows before `accessBefore`, bookings
    /// that ended before `bookingsBefore`, unknown card reads before `unknownBefore`.
    public func pruneRecords(accessBefore: Instant, bookingsBefore: Instant, unknownBefore: Instant) throws
        -> RetentionCounts
    {
        try pool.write { db in
            var n = RetentionCounts()
            try db.execute(sql: "DELETE FROM access_log WHERE at_us < ?", arguments: [accessBefore.micros])
            n.accessLog = db.changesCount
            try db.execute(sql: "DELETE FROM bookings WHERE end_us < ?", arguments: [bookingsBefore.micros])
            n.bookings = db.changesCount
            try db.execute(sql: "DELETE FROM unknown_reads WHERE at_us < ?", arguments: [unknownBefore.micros])
            n.unknownReads = db.changesCount
            return n
        }
    }
}
