// The JSON API's read side (documented in docs/openapi.yaml): desks with the floor status the
// dashboard colours them by, rooms, doors, today's program, findings, the access log,
// bookings, members with their badges, recent unknown cards. Views are pure functions of the
// state (and of the store's personal data where a name is shown).

import CantineCore
import CantineSite
import CantineStore
import Foundation

/// A desk on the staff floor view.
struct DeskView: Codable, Equatable {
    /// `free`, `booked` (held by a booking, nobody there yet), `occupied` (by its booker),
    /// `occupied_unbooked` (someone there without a booking) or `unknown` (no sensor data).
    var status: String
    var desk: String
    var name: String
    var zone: String
    var occupancy: String
    var since: String?
    var node: String?
    var lastReportAt: String?
    var booking: BookingView?

    static func all(_ state: State, now: Instant, names: (MemberID) -> String?) -> [DeskView] {
        let active = activeBookings(state, now: now)
        return (state.layout?.desks ?? []).map { desk in
            let sensed = state.desks[desk.id] ?? DeskState()
            let booking = active[.desk(desk.id)]
            let status: String
            switch (sensed.occupancy, booking != nil) {
            case (.unknown, _): status = "unknown"
            case (.occupied, true): status = "occupied"
            case (.occupied, false): status = "occupied_unbooked"
            case (.vacant, true): status = "booked"
            case (.vacant, false): status = "free"
            }
            return DeskView(
                status: status, desk: desk.id.rawValue, name: desk.name, zone: desk.zone.rawValue,
                occupancy: sensed.occupancy.rawValue, since: sensed.since?.description, node: desk.node?.rawValue,
                lastReportAt: sensed.lastReportAt?.description,
                booking: booking.map { BookingView($0, name: names($0.member)) })
        }
    }

    static func activeBookings(_ state: State, now: Instant) -> [BookedResource: Booking] {
        var out: [BookedResource: Booking] = [:]
        for b in state.bookings.values where b.isActive(at: now) { out[b.resource] = b }
        return out
    }
}

/// A booking as the API shows it.
struct BookingView: Codable, Equatable {
    var id: String
    var member: String
    var memberName: String?
    /// `desk` or `room`.
    var kind: String
    var resource: String
    var start: String
    var end: String
    var status: String
    var imported: Bool

    init(_ b: Booking, name: String?) {
        id = b.id.rawValue
        member = b.member.rawValue
        memberName = name
        switch b.resource {
        case .desk(let d):
            kind = "desk"
            resource = d.rawValue
        case .room(let r):
            kind = "room"
            resource = r.rawValue
        }
        start = b.start.description
        end = b.end.description
        status = b.status.rawValue
        imported = b.origin != nil
    }

    /// A booking from the records (a day that memory no longer holds).
    init(_ r: BookingRecord, name: String?) {
        id = r.id
        member = r.memberId
        memberName = name
        kind = r.resourceKind
        resource = r.resourceId
        start = Instant(micros: r.startUs).description
        end = Instant(micros: r.endUs).description
        status = r.status
        imported = r.id.hasPrefix("imp-")  // ImportPlan's ids
    }
}

/// A meeting room: booked now or not, what its sensor says, today's bookings.
struct RoomView: Codable, Equatable {
    var room: String
    var name: String
    var capacity: Int
    var busy: Bool
    var until: String?
    var occupancy: String?
    var today: [BookingView]

    static func all(_ state: State, now: Instant, names: (MemberID) -> String?) -> [RoomView] {
        let calendar = SiteCalendar.cached(state.layout?.timeZone ?? "UTC")
        let today = calendar.date(of: now)
        let summary = state.occupancy(at: now).rooms
        return (state.layout?.rooms ?? []).map { room in
            let status = summary.first { $0.room == room.id }
            let bookings = state.bookings.values
                .filter { $0.resource == .room(room.id) && $0.holds && calendar.date(of: $0.start) == today }
                .sorted { ($0.start, $0.id) < ($1.start, $1.id) }
            return RoomView(
                room: room.id.rawValue, name: room.name, capacity: room.capacity, busy: status?.busy ?? false,
                until: status?.until?.description, occupancy: state.rooms[room.id]?.occupancy.rawValue,
                today: bookings.map { BookingView($0, name: names($0.member)) })
        }
    }
}

/// A door: what it shows, its lock and contact, its alarms.
struct DoorView: Codable, Equatable {
    var door: String
    var name: String
    var direction: String
    /// `locked`, `unlocked`, `open`, `forced` or `held_open`.
    var state: String
    var lock: String
    var contact: String
    var alarms: [String]
    var unlockedUntil: String?
    var failSecure: Bool

    static func all(_ state: State) -> [DoorView] {
        (state.layout?.doors ?? []).map { door in
            let s = state.doors[door.id] ?? DoorState()
            return DoorView(
                door: door.id.rawValue, name: door.name, direction: door.direction.rawValue, state: s.label,
                lock: s.lock.rawValue, contact: s.contact.rawValue, alarms: s.alarms.map(\.label),
                unlockedUntil: s.unlockedUntil?.description, failSecure: door.failSecure)
        }
    }
}

/// A program entry of one day.
struct SessionView: Codable, Equatable {
    var id: String
    var title: String
    var room: String?
    var date: String
    /// Local `HH:MM`.
    var start: String
    var end: String
    var kind: String
    var track: String?
    var speakers: [String]
    var imported: Bool

    static func day(_ state: State, date: LocalDate?, now: Instant) -> [SessionView] {
        let calendar = SiteCalendar.cached(state.layout?.timeZone ?? "UTC")
        let day = date ?? calendar.date(of: now)
        return state.sessions.values.filter { calendar.date(of: $0.start) == day }
            .sorted { ($0.start, $0.room?.rawValue ?? "", $0.id) < ($1.start, $1.room?.rawValue ?? "", $1.id) }
            .map { s in
                SessionView(
                    id: s.id.rawValue, title: s.title, room: s.room?.rawValue, date: day.description,
                    start: calendar.hhmm(s.start), end: calendar.hhmm(s.end), kind: s.kind.rawValue, track: s.track,
                    speakers: s.speakers, imported: s.origin != nil)
            }
    }
}

/// A member with their badges (personal data: staff only).
struct MemberView: Codable, Equatable {
    var id: String
    var name: String
    var email: String?
    var status: String
    var plan: String?
    var present: Bool
    var badges: [BadgeView]

    struct BadgeView: Codable, Equatable {
        var id: String
        var format: String
        var facility: Int64
        var card: Int64
        var revoked: Bool
    }

    static func all(_ records: any SiteRecords, state: State, now: Instant) throws -> [MemberView] {
        let (members, credentials) = (try records.members(), try records.credentials(member: nil))
        let badges = Dictionary(grouping: credentials, by: \.memberId)
        return members.map { m in
            let id = MemberID(m.id)
            return MemberView(
                id: m.id, name: m.name, email: m.email, status: state.members[id]?.status.rawValue ?? m.status,
                plan: state.members[id]?.plan(at: now)?.kind.rawValue, present: state.present[id] != nil,
                badges: (badges[m.id] ?? []).map {
                    BadgeView(
                        id: $0.id, format: $0.format, facility: $0.facility, card: $0.cardNumber,
                        revoked: $0.revokedUs != nil)
                })
        }
    }
}

extension SiteCalendar {
    /// Local `HH:MM` of an instant.
    func hhmm(_ t: Instant) -> String {
        let minute = clock(t).minute
        let h = minute / 60
        let m = minute % 60
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }
}
