// Reading the journal back (replay), state snapshots (where replay starts from) and compaction
// (a base snapshot the journal then starts from).

import CantineCore
import Crypto
import Foundation
import GRDB

/// SHA-256 of the canonical JSON of a state: equal states have equal digests.
public enum StateDigest {
    public static func of(_ state: State) -> String {
        SHA256.hash(data: state.canonicalJSON()).map { String(format: "%02x", $0) }.joined()
    }
}

/// A row that could not be turned back into an event.
public struct JournalReadError: Error, CustomStringConvertible {
    public let seq: Int64
    public let reason: String
    public var description: String { "journal entry \(seq) is unreadable: \(reason)" }
}

/// A stored state snapshot.
public struct Snapshot: Sendable {
    public var seq: Int64
    public var site: SiteID
    public var taken: Instant
    public var digest: String
    public var state: State
}

/// What a compaction did.
public struct CompactionResult: Codable, Equatable, Sendable {
    /// The new base: entries up to it are folded into the base snapshot.
    public var base: Int64
    public var deleted: Int64
    /// Desk-days whose counts were folded into `desk_days` from the dropped entries.
    public var deskDays: Int
    public init(base: Int64, deleted: Int64, deskDays: Int) {
        self.base = base
        self.deleted = deleted
        self.deskDays = deskDays
    }
    enum CodingKeys: String, CodingKey { case base, deleted, deskDays = "desk_days" }
}

extension Store {
    /// Highest sequence number in the journal (0 when empty).
    public func lastSeq() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM journal") ?? 0 }
    }

    /// Number of journal entries.
    public func journalCount() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT count(*) FROM journal") ?? 0 }
    }

    /// Whether anything but the config's layout was ever journaled (entries, a base from
    /// compaction, snapshots): a database without activity can be made another site's.
    public func hasActivity() throws -> Bool {
        try pool.read { db in
            let entries =
                try Int64.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE kind != 'layout.applied'") ?? 0
            let base = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM journal_base") ?? 0
            return entries + base > 0
        }
    }

    /// Calls `body` with each entry after `afterSeq` (up to `throughSeq`), in order.
    public func forEachEntry(
        after afterSeq: Int64 = 0, through throughSeq: Int64 = .max, _ body: (JournalEntry) throws -> Void
    ) throws {
        let decoder = JSONDecoder()
        try pool.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, site, wall_us, mono_ns, source, kind, payload FROM journal
                    WHERE seq > ? AND seq <= ? ORDER BY seq
                    """,
                arguments: [afterSeq, throughSeq])
            while let row = try rows.next() {
                let seq: Int64 = row[0]
                let kind: String = row[5]
                let event: Event
                do {
                    event = try Event.decode(kind: kind, payload: row[6], with: decoder)
                } catch {
                    throw JournalReadError(seq: seq, reason: "\(error)")
                }
                let mono: Int64 = row[3]
                try body(
                    JournalEntry(
                        seq: seq, site: SiteID(row[1] as String), wall: Instant(micros: row[2]),
                        monotonicNanos: UInt64(bitPattern: mono), source: EventSource(row[4] as String), event: event))
            }
        }
    }

    /// Bytes of the payloads of the entries after `seq` (the soak's write amplification).
    public func journalPayloadBytes(after seq: Int64) throws -> Int64 {
        try pool.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT coalesce(sum(length(payload)), 0) FROM journal WHERE seq > ?", arguments: [seq]) ?? 0
        }
    }

    /// One journal row as stored (the payload undecoded), for the API's event stream.
    public struct RawEntry: Sendable, Equatable {
        public var seq: Int64
        public var wallUs: Int64
        public var source: String
        public var kind: String
        public var payload: Data
    }

    /// At most `limit` rows after `afterSeq` up to `throughSeq`, in order.
    public func rawEntries(after afterSeq: Int64, through throughSeq: Int64, limit: Int) throws -> [RawEntry] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, wall_us, source, kind, payload FROM journal
                    WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?
                    """,
                arguments: [afterSeq, throughSeq, limit]
            ).map { RawEntry(seq: $0[0], wallUs: $0[1], source: $0[2], kind: $0[3], payload: $0[4]) }
        }
    }

    /// The last `limit` entries, newest first.
    public func recentEntries(limit: Int) throws -> [JournalEntry] {
        let last = try lastSeq()
        var out: [JournalEntry] = []
        try forEachEntry(after: max(0, last - Int64(limit))) { out.append($0) }
        return out.reversed()
    }

    /// Saves a snapshot of `state` as of `seq`, keeping only the newest `keep` snapshots.
    public func saveSnapshot(seq: Int64, site: SiteID, taken: Instant, digest: String, state: State, keep: Int = 3)
        throws
    {
        let data = try SnapshotCoding.encode(state)
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO snapshots(seq, site, taken_us, digest, state) VALUES (?,?,?,?,?)",
                arguments: [seq, site.rawValue, taken.micros, digest, data])
            // The base snapshot stays: the journal before it is gone.
            try db.execute(
                sql: """
                    DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)
                    AND seq <> (SELECT seq FROM journal_base)
                    """,
                arguments: [keep])
        }
    }

    /// The newest snapshot, if any (and if this build can read it).
    public func latestSnapshot() throws -> Snapshot? {
        try pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT seq, site, taken_us, digest, state FROM snapshots ORDER BY seq DESC LIMIT 1")
            else { return nil }
            return Self.snapshot(row)
        }
    }

    /// The large fields of a state, decoded on other cores while the calling thread decodes
    /// the rest (on a 100,000-member site, these are nine tenths of the snapshot).
    static let stateAlongside: [String: @Sendable (any Decoder) throws -> Any] = [
        "members": { try SnapshotCoding.dictionary(of: Member.self, keyedBy: MemberID.self, from: $0) },
        "credentials": { try SnapshotCoding.dictionary(of: Credential.self, keyedBy: CredentialToken.self, from: $0) },
        "credentialTokens": {
            try SnapshotCoding.dictionary(of: CredentialToken.self, keyedBy: CredentialID.self, from: $0)
        },
    ]

    static func snapshot(_ row: Row) -> Snapshot? {
        guard let state = try? SnapshotCoding.decode(State.self, from: row[4] as Data, alongside: stateAlongside)
        else { return nil }
        return Snapshot(
            seq: row[0], site: SiteID(row[1] as String), taken: Instant(micros: row[2]), digest: row[3], state: state)
    }

    /// The wall time of the journal's last entry (or, with no entry left, of the newest
    /// snapshot): the site's time never goes before it.
    public func lastWall() throws -> Instant? {
        try pool.read { db in
            let micros = try Int64.fetchOne(
                db,
                sql: """
                    SELECT coalesce(
                        (SELECT wall_us FROM journal ORDER BY seq DESC LIMIT 1),
                        (SELECT taken_us FROM snapshots ORDER BY seq DESC LIMIT 1))
                    """)
            return micros.map(Instant.init(micros:))
        }
    }

    /// The journal's base: entries up to it were compacted into the base snapshot (0: never).
    public func journalBase() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM journal_base") ?? 0 }
    }

    /// Where a replay of this site's journal starts: the newest readable snapshot at or before
    /// `through` (with `useSnapshot`), else the base snapshot, else nothing (the first entry).
    /// A base snapshot that is missing, unreadable, from another site or whose digest does not
    /// match its state is an error: the entries before it are gone.
    public func replayStart(site: SiteID, useSnapshot: Bool, through: Int64 = .max) throws(StoreError) -> Snapshot? {
        do {
            return try pool.read { db throws -> Snapshot? in
                let base = try Int64.fetchOne(db, sql: "SELECT seq FROM journal_base") ?? 0
                if through < base {
                    throw StoreError(
                        .notFound,
                        "the journal was compacted through entry \(base): a replay can stop at \(base) at the earliest")
                }
                if useSnapshot {
                    // Newest first, one at a time: each is the whole state (tens of MB on a large site).
                    let seqs = try Int64.fetchAll(
                        db,
                        sql: """
                            SELECT seq FROM snapshots WHERE seq > ? AND seq <= ? AND site = ? ORDER BY seq DESC
                            """, arguments: [base, through, site.rawValue])
                    for seq in seqs {
                        let row = try Row.fetchOne(
                            db, sql: "SELECT seq, site, taken_us, digest, state FROM snapshots WHERE seq = ?",
                            arguments: [seq])
                        if let readable = row.flatMap(Self.snapshot) { return readable }
                    }
                }
                guard base > 0 else { return nil }
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT seq, site, taken_us, digest, state FROM snapshots WHERE seq = ?",
                        arguments: [base])
                else {
                    throw StoreError(
                        .corrupt,
                        "the journal's base snapshot (entry \(base)) is missing: restore the database from a backup")
                }
                let other = SiteID(row[1] as String)
                guard other == site else {
                    throw StoreError(
                        .corrupt,
                        "the journal's base snapshot is from site '\(other)', this site is '\(site)': wrong database file? check [database] path"
                    )
                }
                guard let snap = Self.snapshot(row), StateDigest.of(snap.state) == snap.digest else {
                    throw StoreError(
                        .corrupt,
                        "the journal's base snapshot (entry \(base)) cannot be read by cantine \(Store.schemaVersion): written by another version? upgrade cantine"
                    )
                }
                return snap
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot read the snapshots of \(path): \(error)")
        }
    }

    /// Makes `state` (the fold of every entry through `seq`) the journal's base snapshot and
    /// deletes the entries up to it, in one transaction; desk use per day is counted from the
    /// dropped entries first (`desk_days`), so it outlives them without naming anyone.
    public func compact(through seq: Int64, site: SiteID, taken: Instant, state: State, calendar: SiteCalendar)
        throws(StoreError) -> CompactionResult
    {
        let digest = StateDigest.of(state)
        do {
            let data = try SnapshotCoding.encode(state)
            let decoder = JSONDecoder()
            return try pool.write { db in
                let base = try Int64.fetchOne(db, sql: "SELECT seq FROM journal_base") ?? 0
                guard seq > base else { return CompactionResult(base: base, deleted: 0, deskDays: 0) }
                var days: [String: [String: (checkIns: Int, occupied: Int)]] = [:]
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT wall_us, kind, payload FROM journal WHERE seq > ? AND seq <= ?
                        AND kind IN ('booking.checked-in', 'desk.reported', 'sensor.heartbeats')
                        """, arguments: [base, seq])
                let bookings = state.bookings
                while let row = try rows.next() {
                    let day = calendar.date(of: Instant(micros: row[0])).description
                    switch try Event.decode(kind: row[1], payload: row[2], with: decoder) {
                    case .bookingCheckedIn(let c):
                        if case .desk(let desk)? = bookings[c.booking]?.resource {
                            days[day, default: [:]][desk.rawValue, default: (0, 0)].checkIns += 1
                        }
                    case .deskReported(let r) where r.occupied:
                        days[day, default: [:]][r.desk.rawValue, default: (0, 0)].occupied += 1
                    case .sensorHeartbeats(let batch):
                        // A heartbeat is a report too (journaled with its minute's batch).
                        for beat in batch.beats where beat.occupied {
                            if case .desk(let desk) = beat.place {
                                days[day, default: [:]][desk.rawValue, default: (0, 0)].occupied += 1
                            }
                        }
                    default: break
                    }
                }
                var deskDays = 0
                for (day, desks) in days {
                    for (desk, n) in desks {
                        try db.execute(
                            sql: """
                                INSERT INTO desk_days(site, day, desk, check_ins, occupied_reports) VALUES (?,?,?,?,?)
                                ON CONFLICT(site, day, desk) DO UPDATE SET
                                    check_ins = check_ins + excluded.check_ins,
                                    occupied_reports = occupied_reports + excluded.occupied_reports
                                """, arguments: [site.rawValue, day, desk, n.checkIns, n.occupied])
                        deskDays += 1
                    }
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO snapshots(seq, site, taken_us, digest, state) VALUES (?,?,?,?,?)",
                    arguments: [seq, site.rawValue, taken.micros, digest, data])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('journal_base', ?)", arguments: [String(seq)])
                try db.execute(sql: "DELETE FROM snapshots WHERE seq < ?", arguments: [seq])
                try db.execute(sql: "DELETE FROM journal WHERE seq <= ?", arguments: [seq])
                return CompactionResult(base: seq, deleted: Int64(db.changesCount), deskDays: deskDays)
            }
        } catch let error as DatabaseError {
            throw Self.explain(error, path: path)
        } catch {
            throw StoreError("cannot compact the journal of \(path): \(error)")
        }
    }
}
