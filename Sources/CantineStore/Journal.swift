// Reading the journal back (replay) and state snapshots (where replay starts from).

import CantineCore
import Foundation
import GRDB

/// A row that could not be turned back into an event.
public struct JournalReadError: Error, CustomStringConvertible {
    public let seq: Int64
    public let reason: String
    public var description: String { "journal entry \(seq) is unreadable: \(reason)" }
}

/// A stored state snapshot.
public struct Snapshot: Sendable {
    public var seq: Int64
    public var taken: Instant
    public var digest: String
    public var state: State
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
        let data = try JSONEncoder().encode(state)
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO snapshots(seq, site, taken_us, digest, state) VALUES (?,?,?,?,?)",
                arguments: [seq, site.rawValue, taken.micros, digest, data])
            try db.execute(
                sql: "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
                arguments: [keep])
        }
    }

    /// The newest snapshot, if any (and if this build can read it).
    public func latestSnapshot() throws -> Snapshot? {
        try pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT seq, taken_us, digest, state FROM snapshots ORDER BY seq DESC LIMIT 1")
            else { return nil }
            guard let state = try? JSONDecoder().decode(State.self, from: row[3] as Data) else { return nil }
            return Snapshot(seq: row[0], taken: Instant(micros: row[1]), digest: row[2], state: state)
        }
    }
}
