// The bookings and sessions tables as projections of the journal: the journal's writer applies
// each entry here in the entry's own transaction, so a record says what the journal says — a
// check-in, a no-show's release and a walk-in attached by staff included, whichever way the
// event came in (a command, a badge, a timer, an import).

import CantineCore
import Foundation
import GRDB

enum Projection {
    /// Whether `event` changes a record (the writer opens a savepoint only for those).
    static func projects(_ event: Event) -> Bool {
        switch event {
        case .bookingCreated, .bookingChanged, .bookingCancelled, .bookingCheckedIn, .sessionScheduled,
            .sessionRemoved:
            true
        case .findingRaised(let f): f.kind == .noShow
        default: false
        }
    }

    /// Brings the records in line with one journaled event (most events touch none).
    static func apply(_ entry: JournalEntry, _ db: Database) throws {
        switch entry.event {
        case .bookingCreated(let b):
            // An id already in the records (a booking gone from memory after a week) keeps its
            // record: a new booking never overwrites an old one.
            let (kind, resource) = b.resource.record
            try db.execute(
                sql: """
                    INSERT INTO bookings(id, site, member_id, resource_kind, resource_id, start_us, end_us, status, created_us)
                    VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING
                    """,
                arguments: [
                    b.id.rawValue, entry.site.rawValue, b.member.rawValue, kind, resource, b.start.micros, b.end.micros,
                    b.status.rawValue, entry.wall.micros,
                ])
        case .bookingChanged(let b):
            let (kind, resource) = b.resource.record
            try db.execute(
                sql: """
                    UPDATE bookings SET member_id = ?, resource_kind = ?, resource_id = ?, start_us = ?, end_us = ?, status = ?
                    WHERE id = ?
                    """,
                arguments: [
                    b.member.rawValue, kind, resource, b.start.micros, b.end.micros, b.status.rawValue, b.id.rawValue,
                ])
        case .bookingCancelled(let ref):
            try setStatus(.cancelled, of: ref.booking, db)
        case .bookingCheckedIn(let c):
            try setStatus(.checkedIn, of: c.booking, db, from: .booked)
        case .findingRaised(let f) where f.kind == .noShow && f.releasedUntil == nil:
            // The reducer releases a no-show's booking that is still only booked (a missed day
            // of a multi-day booking frees its desk for that day only: the booking holds).
            if let booking = f.booking { try setStatus(.released, of: booking, db, from: .booked) }
        case .sessionScheduled(let s):
            try SessionRecord(s, site: entry.site.rawValue).save(db)
        case .sessionRemoved(let ref):
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [ref.session.rawValue])
        default:
            break
        }
    }

    static func setStatus(
        _ status: BookingStatus, of booking: BookingID, _ db: Database, from: BookingStatus? = nil
    ) throws {
        if let from {
            try db.execute(
                sql: "UPDATE bookings SET status = ? WHERE id = ? AND status = ?",
                arguments: [status.rawValue, booking.rawValue, from.rawValue])
        } else {
            try db.execute(
                sql: "UPDATE bookings SET status = ? WHERE id = ?", arguments: [status.rawValue, booking.rawValue])
        }
    }
}

extension BookedResource {
    /// `(resource_kind, resource_id)` of the bookings table.
    var record: (kind: String, id: String) {
        switch self {
        case .desk(let d): ("desk", d.rawValue)
        case .room(let r): ("room", r.rawValue)
        }
    }
}

extension SessionRecord {
    /// The record of a program session.
    public init(_ s: ProgramSession, site: String) {
        let speakers = String(decoding: (try? JSONEncoder().encode(s.speakers)) ?? Data("[]".utf8), as: UTF8.self)
        self.init(
            id: s.id.rawValue, site: site, title: s.title, roomId: s.room?.rawValue, startUs: s.start.micros,
            endUs: s.end.micros, kind: s.kind.rawValue, track: s.track, speakers: speakers,
            session: try? Self.encoder.encode(s))
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()

    /// The program session the record holds (its columns, for rows written before schema v9).
    public var programSession: ProgramSession {
        if let session, let s = try? JSONDecoder().decode(ProgramSession.self, from: session) { return s }
        return ProgramSession(
            id: SessionID(id), title: title, room: roomId.map { RoomID($0) }, start: Instant(micros: startUs),
            end: Instant(micros: endUs), kind: SessionKind(rawValue: kind) ?? .talk, track: track,
            speakers: (try? JSONDecoder().decode([String].self, from: Data(speakers.utf8))) ?? [])
    }
}
