// The entrance blackboard as data: today's sessions as a grid by room and time (past, now,
// next, later; a session stays "starting" for its first minutes), breaks, free desks per
// zone, meeting rooms free or busy until when. Pure: a function of the state and the time,
// rendered by /display's script and sent whole on every change (small, and a reconnecting
// screen needs nothing else to catch up).

import CantineCore
import CantineSite

/// How the blackboard is shown (from the config's `[site]` and `[display]`).
public struct BoardSettings: Sendable, Equatable {
    /// `fr` or `en`.
    public var locale: String
    /// A session stays highlighted as starting this long after its start (latecomers).
    public var lateStart: Span
    /// Greet members by first name when they badge in.
    public var welcome: Bool
    /// The entrance TV wakes this long before opening and sleeps this long after closing.
    public var screenMargin: Span
    public init(
        locale: String = "fr", lateStart: Span = .minutes(10), welcome: Bool = true, screenMargin: Span = .minutes(15)
    ) {
        self.locale = locale
        self.lateStart = lateStart
        self.welcome = welcome
        self.screenMargin = screenMargin
    }
}

/// What the entrance display shows at one moment.
public struct Board: Codable, Equatable, Sendable {
    public struct Column: Codable, Equatable, Sendable {
        public var room: String
        public var name: String
    }
    /// One cell of the grid: a session, or a break across every room.
    public struct Cell: Codable, Equatable, Sendable {
        public var id: String
        public var title: String
        /// nil for a break across every room.
        public var room: String?
        public var start: String
        public var end: String
        public var kind: String
        public var track: String?
        public var speakers: [String]
        /// `past`, `now`, `next` or `later`.
        public var state: String
        /// In its first minutes: latecomers are still welcome.
        public var starting: Bool
    }
    /// One line of the grid: a time slot.
    public struct Row: Codable, Equatable, Sendable {
        public var start: String
        public var end: String
        public var cells: [Cell]
    }
    public struct ZoneLine: Codable, Equatable, Sendable {
        public var zone: String
        public var name: String
        /// Desks shown vacant by their sensor and not held by a booking now.
        public var free: Int
        /// Desks not held whose sensor is silent or absent: maybe free, nobody knows.
        public var unknown: Int
        public var total: Int
    }
    public struct RoomLine: Codable, Equatable, Sendable {
        public var room: String
        public var name: String
        public var busy: Bool
        /// `HH:MM` the current booking ends when busy, the next one starts when free (nil: free
        /// for the rest of the day).
        public var until: String?
        /// What the room's sensor says, when it has one.
        public var occupancy: String?
    }

    public var site: String
    public var locale: String
    /// The local date (`2026-11-21`) and time (`10:42`) the board was made at.
    public var date: String
    public var time: String
    public var timeZone: String
    public var columns: [Column]
    public var rows: [Row]
    public var zones: [ZoneLine]
    public var rooms: [RoomLine]
    public var peoplePresent: Int
    public var capacity: Int
    /// Whether the space is open now (`[access] public_hours`, or a session within the hour).
    public var open: Bool
    /// Whether the entrance TV should be on: open now or within `[display] cec_margin_min`
    /// (a kiosk Pi without the daemon follows this: docs/install.md's entrance screen section).
    public var screenOn: Bool
    /// Closed for the day: when it opens next, `YYYY-MM-DD HH:MM` local (nil otherwise).
    public var opensAt: String?
    /// The day whose program the grid shows: today, or once the space has closed with no
    /// session left today, the day it opens next.
    public var programDate: String

    enum CodingKeys: String, CodingKey {
        case site, locale, date, time, timeZone = "time_zone", columns, rows, zones, rooms
        case peoplePresent = "people_present", capacity, open, screenOn = "screen_on", opensAt = "opens_at"
        case programDate = "program_date"
    }

    /// The board of `state` at `now`.
    public static func make(_ state: State, now: Instant, settings: BoardSettings) -> Board {
        let layout = state.layout
        let calendar = SiteCalendar.cached(layout?.timeZone ?? "UTC")
        let today = calendar.date(of: now)
        let hhmm = calendar.hhmm

        // Open: within `[access] public_hours`, or a session on (from an hour before it). Closed
        // with nothing left today: when it opens next (staffed hours, or an event's start if
        // sooner) and that day's program (a member passing by at night sees tomorrow's).
        let hours = layout?.access.publicHours ?? .always
        let open = isOpen(state, at: now)
        let leftToday = state.sessions.values.contains { calendar.date(of: $0.start) == today && $0.end > now }
        let nextEvent = state.sessions.values.map(\.start).filter { $0 > now }.min()
        let opens: Instant? =
            open || leftToday
            ? nil : [calendar.nextOpening(hours, after: now), nextEvent].compactMap { $0 }.min()
        let programDate = opens.map { calendar.date(of: $0) } ?? today

        // The day's program, by start then room.
        let sessions = state.sessions.values.filter { calendar.date(of: $0.start) == programDate }
            .sorted { ($0.start, $0.room?.rawValue ?? "", $0.id) < ($1.start, $1.room?.rawValue ?? "", $1.id) }
        let nextStart = sessions.map(\.start).filter { $0 > now }.min()
        func cell(_ s: ProgramSession) -> Cell {
            let state: String
            if s.end <= now {
                state = "past"
            } else if s.start <= now {
                state = "now"
            } else {
                state = s.start == nextStart ? "next" : "later"
            }
            return Cell(
                id: s.id.rawValue, title: s.title, room: s.room?.rawValue, start: hhmm(s.start), end: hhmm(s.end),
                kind: s.kind.rawValue, track: s.track, speakers: s.speakers, state: state,
                starting: state == "now" && now < s.start + settings.lateStart)
        }
        let roomsUsed = Set(sessions.compactMap(\.room))
        // The site's rooms in layout order, then the program's own (a conference's halls).
        let columns =
            (layout?.rooms ?? []).filter { roomsUsed.contains($0.id) }.map {
                Column(room: $0.id.rawValue, name: $0.name)
            }
            + (state.programRooms ?? [:]).values.filter { roomsUsed.contains($0.id) }.sorted { $0.name < $1.name }
            .map { Column(room: $0.id.rawValue, name: $0.name) }
        var rows: [Row] = []
        for s in sessions {
            let c = cell(s)
            if let i = rows.firstIndex(where: { $0.start == c.start && $0.end == c.end }) {
                rows[i].cells.append(c)
            } else {
                rows.append(Row(start: c.start, end: c.end, cells: [c]))
            }
        }

        // Free desks: vacant and not held by a booking in force now.
        let held = Set(
            DeskView.activeBookings(state, now: now).keys.compactMap { r -> DeskID? in
                if case .desk(let d) = r { d } else { nil }
            })
        let zones = (layout?.zones ?? []).map { zone in
            let desks = (layout?.desks ?? []).filter { $0.zone == zone.id }
            let open = desks.filter { !held.contains($0.id) }.map { state.desks[$0.id]?.occupancy ?? .unknown }
            return ZoneLine(
                zone: zone.id.rawValue, name: zone.name, free: open.filter { $0 == .vacant }.count,
                unknown: open.filter { $0 == .unknown }.count, total: desks.count)
        }
        let summary = state.occupancy(at: now)
        let rooms = summary.rooms.map {
            RoomLine(
                room: $0.room.rawValue, name: $0.name, busy: $0.busy,
                until: $0.until.flatMap { calendar.date(of: $0) == today ? hhmm($0) : nil },
                occupancy: $0.occupancy?.rawValue)
        }
        return Board(
            site: layout?.name ?? "", locale: settings.locale, date: today.description, time: hhmm(now),
            timeZone: layout?.timeZone ?? "UTC", columns: columns, rows: rows, zones: zones, rooms: rooms,
            peoplePresent: summary.peoplePresent, capacity: summary.capacity, open: open,
            screenOn: screenAwake(state, now: now, margin: settings.screenMargin),
            opensAt: opens.map { calendar.text($0) }, programDate: programDate.description)
    }
}

extension Board {
    /// Whether the space is open at `t`: within `[access] public_hours`, or a session on (from
    /// an hour before it).
    public static func isOpen(_ state: State, at t: Instant) -> Bool {
        let calendar = SiteCalendar.cached(state.layout?.timeZone ?? "UTC")
        return calendar.isOpen(state.layout?.access.publicHours ?? .always, at: t)
            || state.sessions.values.contains { $0.start - .seconds(3600) <= t && t < $0.end }
    }

    /// Whether the entrance TV should be on at `now`: the space open now, or within `margin`
    /// (it wakes before opening and sleeps a while after closing).
    public static func screenAwake(_ state: State, now: Instant, margin: Span) -> Bool {
        [now - margin, now, now + margin].contains { isOpen(state, at: $0) }
    }
}

extension Notice {
    /// Whether the blackboard may show something else after this notice.
    var changesBoard: Bool {
        switch self {
        case .deskChanged, .roomChanged, .occupancyChanged, .programChanged, .bookingsChanged: true
        case .access, .doorChanged, .membersChanged, .alarm, .alarmCleared, .finding, .networkChanged: false
        }
    }
}
