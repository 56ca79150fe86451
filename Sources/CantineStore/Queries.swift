// The store's named reads of the records (personal data and history beyond what memory keeps)
// and the record writes a command commits with its journal entries. Every SQL statement of
// Cantine is in this module: callers name what they want, and never import GRDB.

import CantineCore
import Foundation
import GRDB

extension Store {
    /// Every member, by name then id.
    public func members() throws -> [MemberRecord] {
        try pool.read { try MemberRecord.order(Column("name"), Column("id")).fetchAll($0) }
    }

    /// Everything the records hold about a member, read at one instant, each kind in the order
    /// it was written; nil when unknown.
    public func memberRecords(_ member: String) throws -> MemberRecords? {
        try pool.read { db in
            guard let profile = try MemberRecord.fetchOne(db, key: member) else { return nil }
            return MemberRecords(
                profile: profile, key: try MemberKeys.key(member: member, db),
                credentials: try CredentialRecord.filter(Column("member_id") == member).order(Column.rowID).fetchAll(
                    db),
                plans: try PlanRecord.filter(Column("member_id") == member).order(Column.rowID).fetchAll(db),
                bookings: try BookingRecord.filter(Column("member_id") == member).order(Column.rowID).fetchAll(db))
        }
    }

    /// Member ids by lowercased email (for matching calendar attendees).
    public func memberIDsByEmail() throws -> [String: String] {
        try pool.read { db in
            try MemberRecord.fetchAll(db).reduce(into: [String: String]()) { map, m in
                if let e = m.email { map[e.lowercased()] = m.id }
            }
        }
    }

    /// Badges, by member then in the order they were enrolled; only `member`'s when given.
    public func credentials(member: String? = nil) throws -> [CredentialRecord] {
        try pool.read { db in
            var request = CredentialRecord.order(Column("member_id"), Column.rowID)
            if let member { request = request.filter(Column("member_id") == member) }
            return try request.fetchAll(db)
        }
    }

    /// Plans, by member then oldest first; only `member`'s when given.
    public func plans(member: String? = nil) throws -> [PlanRecord] {
        try pool.read { db in
            var request = PlanRecord.order(Column("member_id"), Column("valid_from_us"), Column("id"))
            if let member { request = request.filter(Column("member_id") == member) }
            return try request.fetchAll(db)
        }
    }

    /// Bookings that overlap `[from, to)`, by start then id.
    public func bookings(overlapping from: Instant, _ to: Instant) throws -> [BookingRecord] {
        try pool.read {
            try BookingRecord.filter(Column("start_us") < to.micros && Column("end_us") > from.micros)
                .order(Column("start_us"), Column("id")).fetchAll($0)
        }
    }

    /// Program sessions that overlap `[from, to)`, by start then room.
    public func sessions(overlapping from: Instant, _ to: Instant) throws -> [SessionRecord] {
        try pool.read {
            try SessionRecord.filter(Column("start_us") < to.micros && Column("end_us") > from.micros)
                .order(Column("start_us"), Column("room_id"), Column("id")).fetchAll($0)
        }
    }

    /// The program over `[from, to)` as the journal has it, by start then room.
    public func programSessions(overlapping from: Instant, _ to: Instant) throws -> [ProgramSession] {
        try sessions(overlapping: from, to).map(\.programSession)
    }

    /// The booking record with `id`, if any (memory keeps only a week of ended ones).
    public func booking(_ id: String) throws -> BookingRecord? {
        try pool.read { try BookingRecord.fetchOne($0, key: id) }
    }

    /// The session record with `id`, if any (memory keeps only a week of ended ones).
    public func session(_ id: String) throws -> SessionRecord? {
        try pool.read { try SessionRecord.fetchOne($0, key: id) }
    }

    /// Sets whether a member's name may appear on MQTT events. False: no such member.
    public func setNamePublishing(member: String, allowed: Bool) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE members SET publish_name = ? WHERE id = ?", arguments: [allowed, member])
            return db.changesCount == 1
        }
    }

    /// The last entry of the journal's prefix written before `cutoff` (a wall-clock step makes
    /// later entries look older: the prefix stops at the first entry at or after the cutoff).
    public func lastSeq(before cutoff: Instant) throws -> Int64 {
        try pool.read { db in
            if let first = try Int64.fetchOne(
                db, sql: "SELECT min(seq) FROM journal WHERE wall_us >= ?", arguments: [cutoff.micros])
            {
                return first - 1
            }
            return try Int64.fetchOne(db, sql: "SELECT max(seq) FROM journal") ?? 0
        }
    }
}

/// A member's records (`Store.memberRecords`).
public struct MemberRecords: Sendable {
    public var profile: MemberRecord
    /// Their key (nil once erased): their sealed profile in the journal opens with it.
    public var key: Data?
    public var credentials: [CredentialRecord]
    public var plans: [PlanRecord]
    public var bookings: [BookingRecord]
}

extension RecordWrite {
    /// Nothing besides the journal entries.
    public static let nothing = RecordWrite { _ in }

    /// A new member's record and their key.
    public static func addMember(_ member: MemberRecord, key: Data) -> RecordWrite {
        RecordWrite { db in
            try member.insert(db)
            try MemberKeys.insert(key, member: member.id, site: member.site, createdUs: member.createdUs, db)
        }
    }

    /// A member's status (`active`, `disabled`).
    public static func memberStatus(_ member: String, _ status: MemberStatus) -> RecordWrite {
        RecordWrite { db in
            try db.execute(sql: "UPDATE members SET status = ? WHERE id = ?", arguments: [status.rawValue, member])
        }
    }

    /// A new plan.
    public static func addPlan(_ plan: PlanRecord) -> RecordWrite { RecordWrite { try plan.insert($0) } }

    /// A new badge.
    public static func addCredential(_ credential: CredentialRecord) -> RecordWrite {
        RecordWrite { try credential.insert($0) }
    }

    /// A card nobody holds, read at a door (for `badges enroll --reader/--last-denied`).
    public static func unknownRead(_ read: UnknownRead, site: String) -> RecordWrite {
        RecordWrite { try read.insert($0, site: site) }
    }

    /// A badge revoked at `at`.
    public static func revokeCredential(_ id: String, at: Instant) -> RecordWrite {
        RecordWrite { db in
            try db.execute(sql: "UPDATE credentials SET revoked_us = ? WHERE id = ?", arguments: [at.micros, id])
        }
    }

    /// A booking cancelled (a ghost released by staff: the reducer cancels it in memory).
    /// A plan ended: it holds until `untilUs` (never past the end it had, never before it began).
    public static func endPlan(member: String, plan: String, untilUs: Int64) -> RecordWrite {
        RecordWrite { db in
            try db.execute(
                sql: """
                    UPDATE plans SET valid_until_us = MAX(valid_from_us, MIN(COALESCE(valid_until_us, ?), ?))
                    WHERE member_id = ? AND id = ?
                    """, arguments: [untilUs, untilUs, member, plan])
        }
    }

    public static func cancelBooking(_ id: String) -> RecordWrite {
        RecordWrite { db in
            try db.execute(sql: "UPDATE bookings SET status = 'cancelled' WHERE id = ?", arguments: [id])
        }
    }

    /// Everything held about a member, erased; `counted` is told how much was.
    public static func eraseMember(_ member: String, counted: @escaping @Sendable (ErasureCounts) -> Void)
        -> RecordWrite
    {
        RecordWrite { db in counted(try Store.eraseRecords(member: member, db)) }
    }
}

/// The records the web reads besides the state: personal data and history. The store is
/// one; the web's tests use an in-memory one.
public protocol SiteRecords: Sendable {
    /// A member's name; nil when unknown or erased.
    func memberName(_ id: String) -> String?
    /// Every member, by name then id.
    func members() throws -> [MemberRecord]
    /// Badges, by member then in the order they were enrolled; only `member`'s when given.
    func credentials(member: String?) throws -> [CredentialRecord]
    /// Plans, by member then oldest first; only `member`'s when given.
    func plans(member: String?) throws -> [PlanRecord]
    /// Bookings that overlap `[from, to)`, by start then id.
    func bookings(overlapping from: Instant, _ to: Instant) throws -> [BookingRecord]
    /// Access decisions, newest first, filtered by `query`.
    func accessLog(_ query: AccessLogQuery) throws -> [AccessLogRow]
    /// Cards nobody holds read after `afterSeq` (at `door`, since `sinceUs`), oldest first.
    func unknownReads(afterSeq: Int64, door: String?, sinceUs: Int64) throws -> [UnknownRead]
    /// The other sites of the network as last heard, and the messages refused.
    func networkStatus(now: Instant, staleAfter: Span) throws -> NetworkStatus
    /// Journal rows after `after` through `through`, at most `limit`, oldest first.
    func rawEntries(after afterSeq: Int64, through throughSeq: Int64, limit: Int) throws -> [Store.RawEntry]
}

extension Store: SiteRecords {
    public func networkStatus(now: Instant, staleAfter: Span) throws -> NetworkStatus {
        try NetworkStatus.read(store: self, now: now, staleAfter: staleAfter)
    }
}

/// Staff accounts, browser sessions and API tokens as the web keeps them. The store is one;
/// the web's tests use an in-memory one.
public protocol AccountRecords: Sendable {
    func addStaff(_ record: StaffRecord) throws
    func setStaffPassword(_ username: String, hash: String) throws
    func staff(_ username: String) throws -> StaffRecord?
    func openWebSession(_ record: WebSessionRecord) throws
    /// The session with this token hash and its staff member, if it is open at `nowUs`.
    func webSession(tokenHash: String, nowUs: Int64) throws -> (WebSessionRecord, StaffRecord)?
    func closeWebSession(tokenHash: String) throws
    func addAPIToken(_ record: APITokenRecord) throws
    /// The token with this hash, if not revoked.
    func apiToken(hash: String) throws -> APITokenRecord?
}

extension Store: AccountRecords {}
