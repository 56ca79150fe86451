// The access log (decisions as the doors took them) and the recent unknown cards that
// enrollment binds. Both are written by the journal writer with their journal entry.

import Foundation
import GRDB

/// One row of the access log.
public struct AccessLogRow: Codable, Equatable, Sendable {
    public var seq: Int64
    public var atUs: Int64
    public var door: String
    public var memberId: String?
    /// The member's name, when the member is still known.
    public var memberName: String?
    public var granted: Bool
    public var reason: String
    public var plan: String?
    /// A remote unlock's operator and the reason they gave.
    public var by: String?
    public var note: String?
}

/// What `cantine log` asks for. Nil fields do not filter.
public struct AccessLogQuery: Sendable {
    public var member: String?
    public var door: String?
    /// `granted`, `denied`, or a reason code such as `denied.expired`.
    public var outcome: String?
    public var sinceUs: Int64?
    public var untilUs: Int64?
    /// Text found in the member's name or id (the dashboard's search box).
    public var search: String?
    /// Only rows older than this journal entry (the next page, newest first).
    public var beforeSeq: Int64?
    public var limit: Int

    public init(
        member: String? = nil, door: String? = nil, outcome: String? = nil, sinceUs: Int64? = nil,
        untilUs: Int64? = nil, search: String? = nil, limit: Int = 50
    ) {
        self.search = search
        self.member = member
        self.door = door
        self.outcome = outcome
        self.sinceUs = sinceUs
        self.untilUs = untilUs
        self.limit = limit
    }
}

/// A card read at a door that matched no badge.
public struct UnknownRead: Codable, Equatable, Sendable {
    public var seq: Int64
    public var atUs: Int64
    public var door: String
    public var format: String
    public var facility: Int64
    public var cardNumber: Int64

    public init(seq: Int64, atUs: Int64, door: String, format: String, facility: Int64, cardNumber: Int64) {
        self.seq = seq
        self.atUs = atUs
        self.door = door
        self.format = format
        self.facility = facility
        self.cardNumber = cardNumber
    }

    /// How long and how many unknown reads are kept.
    public static let keepFor: Int64 = 24 * 3600 * 1_000_000
    public static let keepAtMost = 100

    /// Records the read and prunes old ones (inside the journal writer's transaction).
    func insert(_ db: Database, site: String) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO unknown_reads(seq, site, at_us, door, format, facility, card_number)
                VALUES (?,?,?,?,?,?,?)
                """, arguments: [seq, site, atUs, door, format, facility, cardNumber])
        try db.execute(
            sql: """
                DELETE FROM unknown_reads WHERE at_us < ?
                   OR seq NOT IN (SELECT seq FROM unknown_reads ORDER BY seq DESC LIMIT ?)
                """, arguments: [atUs - Self.keepFor, Self.keepAtMost])
    }
}

extension Store {
    /// Access decisions, newest first.
    public func accessLog(_ q: AccessLogQuery) throws -> [AccessLogRow] {
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let m = q.member {
            clauses.append("a.member_id = ?")
            args.append(m)
        }
        if let d = q.door {
            clauses.append("a.door = ?")
            args.append(d)
        }
        switch q.outcome {
        case nil: break
        case "granted": clauses.append("a.granted = 1")
        case "denied": clauses.append("a.granted = 0 AND a.reason LIKE 'denied.%'")
        case let reason?:
            clauses.append("a.reason = ?")
            args.append(reason)
        }
        if let s = q.sinceUs {
            clauses.append("a.at_us >= ?")
            args.append(s)
        }
        if let u = q.untilUs {
            clauses.append("a.at_us < ?")
            args.append(u)
        }
        if let b = q.beforeSeq {
            clauses.append("a.seq < ?")
            args.append(b)
        }
        if let text = q.search?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            // Names as people type them: "ines" finds Inès, "LEFEVRE" Lefèvre (SQLite's LIKE
            // folds ASCII case only), by the members whose name or id holds the text.
            let wanted = Self.folded(text)
            let ids = try members().filter {
                Self.folded($0.name).contains(wanted) || Self.folded($0.id).contains(wanted)
            }
            .map(\.id)
            let pattern =
                "%"
                + text.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            // Other sites' visitors are in no members table: their ids are matched as written.
            clauses.append(
                "(a.member_id IN (\(ids.map { _ in "?" }.joined(separator: ","))) OR a.member_id LIKE ? ESCAPE '\\')")
            args.append(contentsOf: ids)
            args.append(pattern)
        }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        args.append(q.limit)
        return try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.seq, a.at_us, a.door, a.member_id, m.name, a.granted, a.reason, a.plan, a.operator, a.note
                    FROM access_log a LEFT JOIN members m ON m.id = a.member_id
                    \(whereSQL) ORDER BY a.seq DESC LIMIT ?
                    """, arguments: StatementArguments(args)
            ).map {
                AccessLogRow(
                    seq: $0[0], atUs: $0[1], door: $0[2], memberId: $0[3], memberName: $0[4], granted: $0[5],
                    reason: $0[6], plan: $0[7], by: $0[8], note: $0[9])
            }
        }
    }

    /// Text folded for search: case and accents ignored.
    public static func folded(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    /// Unknown cards read after journal entry `afterSeq` (at `door` if given), oldest first.
    public func unknownReads(afterSeq: Int64, door: String? = nil, sinceUs: Int64 = 0) throws -> [UnknownRead] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, at_us, door, format, facility, card_number FROM unknown_reads
                    WHERE seq > ? AND at_us >= ? AND (? IS NULL OR door = ?) ORDER BY seq
                    """, arguments: [afterSeq, sinceUs, door, door]
            ).map {
                UnknownRead(
                    seq: $0[0], atUs: $0[1], door: $0[2], format: $0[3], facility: $0[4], cardNumber: $0[5])
            }
        }
    }

    /// The highest journal sequence number written so far.
    public func lastJournalSeq() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM journal") ?? 0 }
    }
}
