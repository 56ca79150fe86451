// The read models every edge shows: desks with the floor status the dashboard colours them by,
// rooms, doors, a day's program, bookings, members with their plans and badges. The HTTP API,
// the CLI's --json and the web's metrics print these, so a view is written once. Views are
// pure functions of the state (and of the records where a name or a plan is shown).

import CantineCore
import CantineStore
import Foundation

/// A desk on the staff floor view.
public struct DeskView: Codable, Equatable, Sendable {
    /// `free`, `booked` (held by a booking, nobody there yet), `occupied` (by its booker),
    /// `occupied_unbooked` (someone there without a booking) or `unknown` (no sensor data).
    public var status: String
    public var desk: String
    public var name: String
    public var zone: String
    public var occupancy: String
    public var since: String?
    public var node: String?
    public var lastReportAt: String?
    public var booking: BookingView?

    public static func all(_ state: State, now: Instant, names: (MemberID) -> String?) -> [DeskView] {
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

    public static func activeBookings(_ state: State, now: Instant) -> [BookedResource: Booking] {
        var out: [BookedResource: Booking] = [:]
        for b in state.bookings.values where b.isActive(at: now) { out[b.resource] = b }
        return out
    }
}

/// A booking as the API shows it.
public struct BookingView: Codable, Equatable, Sendable {
    public var id: String
    public var member: String
    public var memberName: String?
    /// `desk` or `room`.
    public var kind: String
    public var resource: String
    public var start: String
    public var end: String
    public var status: String
    public var imported: Bool

    /// A booking from the state.
    public init(_ b: Booking, name: String?) {
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
    public init(_ r: BookingRecord, name: String?) {
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
public struct RoomView: Codable, Equatable, Sendable {
    public var room: String
    public var name: String
    public var capacity: Int
    public var busy: Bool
    public var until: String?
    public var occupancy: String?
    public var today: [BookingView]

    public static func all(_ state: State, now: Instant, names: (MemberID) -> String?) -> [RoomView] {
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
public struct DoorView: Codable, Equatable, Sendable {
    public var door: String
    public var name: String
    public var direction: String
    /// `locked`, `unlocked`, `open`, `forced` or `held_open`.
    public var state: String
    public var lock: String
    public var contact: String
    public var alarms: [String]
    public var unlockedUntil: String?
    public var failSecure: Bool

    public static func all(_ state: State) -> [DoorView] {
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
public struct SessionView: Codable, Equatable, Sendable {
    public var id: String
    public var title: String
    public var room: String?
    public var date: String
    /// Local `HH:MM`.
    public var start: String
    public var end: String
    public var kind: String
    public var track: String?
    public var speakers: [String]
    public var imported: Bool

    public static func day(_ state: State, date: LocalDate?, now: Instant) -> [SessionView] {
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

/// A member with their plans and badges (personal data: staff only).
public struct MemberView: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var email: String?
    public var status: String
    /// The plan that holds now, if any: its kind and its id (to end it).
    public var plan: String?
    public var planId: String?
    /// Badged in and not out; nil where only the records are read (the CLI beside a daemon).
    public var present: Bool?
    public var plans: [PlanView]
    public var badges: [BadgeView]

    public struct PlanView: Codable, Equatable, Sendable {
        public var id: String
        public var kind: String
        public var from: String
        public var until: String?
    }

    public struct BadgeView: Codable, Equatable, Sendable {
        public var id: String
        public var format: String
        public var facility: Int64
        public var card: Int64
        public var revoked: Bool
    }

    /// Every member (or only `id`), by name then id. With the live `state`, the status, the
    /// current plan and presence are the state's; without it, the records'.
    public static func all(_ records: any SiteRecords, state: State?, now: Instant, only id: String? = nil) throws
        -> [MemberView]
    {
        let members = try records.members().filter { id == nil || $0.id == id }
        let badges = Dictionary(grouping: try records.credentials(member: id), by: \.memberId)
        let plans = Dictionary(grouping: try records.plans(member: id), by: \.memberId)
        return members.map { m in
            let member = MemberID(m.id)
            let held = plans[m.id] ?? []
            let current: (kind: String, id: String)? =
                state.map { $0.members[member]?.plan(at: now).map { ($0.kind.rawValue, $0.id.rawValue) } }
                ?? held.last { $0.validFromUs <= now.micros && ($0.validUntilUs ?? .max) > now.micros }.map {
                    ($0.kind, $0.id)
                }
            let ttl = state?.layout?.sensors.presenceTTL ?? SensorRules().presenceTTL
            return MemberView(
                id: m.id, name: m.name, email: m.email, status: state?.members[member]?.status.rawValue ?? m.status,
                plan: current?.kind, planId: current?.id,
                present: state.map { $0.present[member].map { now - $0 < ttl } ?? false },
                plans: held.map {
                    PlanView(
                        id: $0.id, kind: $0.kind, from: Instant(micros: $0.validFromUs).description,
                        until: $0.validUntilUs.map { Instant(micros: $0).description })
                },
                badges: (badges[m.id] ?? []).map {
                    BadgeView(
                        id: $0.id, format: $0.format, facility: $0.facility, card: $0.cardNumber,
                        revoked: $0.revokedUs != nil)
                })
        }
    }
}

/// One access decision as staff read it: the API, the CSV and `cantine log --json`.
public struct AccessLogView: Codable, Equatable, Sendable {
    public var seq: Int64
    public var at: String
    /// `YYYY-MM-DD HH:MM` in the site's time zone.
    public var local: String
    public var door: String
    public var doorName: String?
    public var member: String?
    public var memberName: String?
    public var granted: Bool
    /// The code (`granted.plan`, `denied.expired`…) and what it means in the site's language.
    public var reason: String
    public var label: String
    public var plan: String?
    /// A remote unlock's operator and the reason they gave.
    public var by: String?
    public var note: String?

    public init(_ row: AccessLogRow, calendar: SiteCalendar, locale: String, doorName: String? = nil) {
        seq = row.seq
        let at = Instant(micros: row.atUs)
        self.at = at.description
        local = calendar.text(at)
        door = row.door
        self.doorName = doorName
        member = row.memberId
        memberName = row.memberName
        granted = row.granted
        reason = row.reason
        label = AccessReason(rawValue: row.reason)?.label(locale) ?? row.reason
        plan = row.plan
        by = row.by
        note = row.note
    }

    /// The CSV's header and one line per row (RFC 4180: fields quoted when they hold a comma,
    /// a quote or a line break; CRLF line ends).
    public static func csv(_ rows: [AccessLogView]) -> String {
        func field(_ raw: String?) -> String {
            guard var text = raw else { return "" }
            // A cell a spreadsheet would run as a formula (a note typed by staff, a name) is
            // kept as text.
            if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
            guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        let header = "seq,time,door,member,member_name,granted,reason,label,plan,by,note"
        let lines = rows.map { r in
            [
                "\(r.seq)", r.local, r.door, r.member, r.memberName, r.granted ? "true" : "false", r.reason, r.label,
                r.plan, r.by, r.note,
            ].map(field).joined(separator: ",")
        }
        return ([header] + lines).map { $0 + "\r\n" }.joined()
    }
}

/// A member inside: badged in within `presence_hours` and not out (the header's "badged in").
public struct PresenceView: Codable, Equatable, Sendable {
    public var member: String
    public var name: String?
    public var since: String
    /// The plan that let them in, if one holds now.
    public var plan: String?
    /// Their desk or room booked now, if any.
    public var booking: String?

    /// Everyone inside at `now`, who came in first first.
    public static func all(_ state: State, now: Instant, names: (MemberID) -> String?) -> [PresenceView] {
        let ttl = state.layout?.sensors.presenceTTL ?? SensorRules().presenceTTL
        let booked = Dictionary(
            state.bookings.values.filter { $0.isActive(at: now) }.map { ($0.member, $0.resource) }
        ) { a, _ in a }
        return state.present.filter { now - $0.value < ttl }
            .sorted { ($0.value, $0.key.rawValue) < ($1.value, $1.key.rawValue) }
            .map { member, since in
                let resource: String? =
                    switch booked[member] {
                    case .desk(let d): "desk \(d)"
                    case .room(let r): "room \(r)"
                    case nil: nil
                    }
                return PresenceView(
                    member: member.rawValue, name: names(member), since: since.description,
                    plan: state.members[member]?.plan(at: now)?.kind.rawValue, booking: resource)
            }
    }
}

/// The floor as the dashboard draws it: each desk and room where it is (from the config's `x`,
/// `y`, or laid out by zone when any desk has no place), in plan units (a desk is 1 × 1).
public struct FloorPlanView: Codable, Equatable, Sendable {
    public struct Place: Codable, Equatable, Sendable {
        public var x: Double
        public var y: Double
        public var width: Double
        public var height: Double
    }
    public struct Label: Codable, Equatable, Sendable {
        public var zone: String
        public var name: String
        public var x: Double
        public var y: Double
    }
    public struct RoomPlace: Codable, Equatable, Sendable {
        public var room: RoomView
        public var place: Place
    }
    public struct DeskPlace: Codable, Equatable, Sendable {
        public var desk: DeskView
        public var place: Place
    }

    public var width: Double
    public var height: Double
    /// Where each zone's name is written (laid out automatically only).
    public var zones: [Label]
    public var desks: [DeskPlace]
    public var rooms: [RoomPlace]

    /// Desks per row of a zone laid out automatically, and the room's size there.
    static let perRow = 8
    static let gap = 0.25

    public static func make(_ state: State, now: Instant, names: (MemberID) -> String?) -> FloorPlanView {
        let layout = state.layout
        let deskViews = Dictionary(DeskView.all(state, now: now, names: names).map { ($0.desk, $0) }) { a, _ in a }
        let roomViews = Dictionary(RoomView.all(state, now: now, names: names).map { ($0.room, $0) }) { a, _ in a }
        let desks = layout?.desks ?? []
        let rooms = layout?.rooms ?? []
        var deskPlaces: [DeskPlace] = []
        var labels: [Label] = []
        var bottom = 0.0
        if !desks.isEmpty && desks.allSatisfy({ $0.position != nil }) {
            for d in desks {
                guard let p = d.position, let view = deskViews[d.id.rawValue] else { continue }
                deskPlaces.append(DeskPlace(desk: view, place: Place(x: p.x, y: p.y, width: 1, height: 1)))
            }
        } else {
            // By zone, in the config's order: the zone's name, then rows of desks.
            var y = 0.0
            for zone in layout?.zones ?? [] {
                let inZone = desks.filter { $0.zone == zone.id }
                guard !inZone.isEmpty else { continue }
                labels.append(Label(zone: zone.id.rawValue, name: zone.name, x: 0, y: y + 0.6))
                y += 0.9
                for (i, d) in inZone.enumerated() {
                    guard let view = deskViews[d.id.rawValue] else { continue }
                    let (row, column) = (i / perRow, i % perRow)
                    deskPlaces.append(
                        DeskPlace(
                            desk: view,
                            place: Place(
                                x: Double(column) * (1 + gap), y: y + Double(row) * (1 + gap), width: 1, height: 1)))
                }
                y += Double((inZone.count + perRow - 1) / perRow) * (1 + gap) + 0.3
            }
            bottom = y
        }
        var roomPlaces: [RoomPlace] = []
        if !rooms.isEmpty && rooms.allSatisfy({ $0.position != nil }) {
            for r in rooms {
                guard let p = r.position, let view = roomViews[r.id.rawValue] else { continue }
                roomPlaces.append(
                    RoomPlace(room: view, place: Place(x: p.x, y: p.y, width: p.width ?? 3, height: p.height ?? 2)))
            }
        } else {
            // Side by side under the desks, each as wide as three desks.
            let top = max(bottom, deskPlaces.map { $0.place.y + $0.place.height }.max() ?? 0) + 0.5
            for (i, r) in rooms.enumerated() {
                guard let view = roomViews[r.id.rawValue] else { continue }
                let (row, column) = (i / 3, i % 3)
                roomPlaces.append(
                    RoomPlace(
                        room: view,
                        place: Place(
                            x: Double(column) * (3 * (1 + gap)), y: top + Double(row) * 2.25,
                            width: 3 * (1 + gap) - gap,
                            height: 2)))
            }
        }
        let places = deskPlaces.map(\.place) + roomPlaces.map(\.place)
        return FloorPlanView(
            width: (places.map { $0.x + $0.width }.max() ?? 1), height: (places.map { $0.y + $0.height }.max() ?? 1),
            zones: labels, desks: deskPlaces, rooms: roomPlaces)
    }
}
