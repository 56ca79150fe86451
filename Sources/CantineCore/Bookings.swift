// Bookings (desks by half-day/day/multi-day, the meeting room by slot) and today's program.

/// What a booking reserves.
public enum BookedResource: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    case desk(DeskID)
    case room(RoomID)

    public var description: String {
        switch self {
        case .desk(let d): "desk \(d)"
        case .room(let r): "room \(r)"
        }
    }
}

public enum BookingStatus: String, Codable, Sendable {
    case booked, checkedIn = "checked-in", cancelled
    /// Not checked in by its deadline: released by reconciliation, the desk is free.
    case released
}

/// Where an imported booking or session comes from: the feed (a calendar or schedule, named
/// at import) and the item's key in it (an iCalendar UID with its recurrence instance, a
/// frab/pretalx guid). Re-importing a feed matches items by origin.
public struct ImportOrigin: Codable, Hashable, Sendable, CustomStringConvertible {
    public var feed: String
    public var key: String
    public init(feed: String, key: String) {
        self.feed = feed
        self.key = key
    }
    public var description: String { "\(feed):\(key)" }
}

/// When a booking must be checked in: from `from` (the day's opening, the slot's start) to
/// `by`; not checked in by then, it is a no-show.
public struct CheckInWindow: Codable, Equatable, Hashable, Sendable {
    public var from: Instant
    public var by: Instant
    public init(from: Instant, by: Instant) {
        self.from = from
        self.by = by
    }
}

/// A reservation of a desk or room by a member over [start, end).
public struct Booking: Codable, Equatable, Sendable {
    public var id: BookingID
    public var member: MemberID
    public var resource: BookedResource
    public var start: Instant
    public var end: Instant
    public var status: BookingStatus
    /// Set for a booking imported from a calendar.
    public var origin: ImportOrigin?
    /// When it must be checked in, in order: one window, or one a day for a multi-day desk
    /// booking. Fixed when the booking is made and journaled with it, so a replay releases
    /// exactly what the live site released; nil in bookings journaled before windows existed
    /// (their one window ends `no_show_grace` after the start).
    public var checkIns: [CheckInWindow]?
    /// The last check-in (state only).
    public var checkedInAt: Instant?
    /// A multi-day booking missed one day's check-in: its desk is free until then (state only).
    public var freeUntil: Instant?

    public init(
        id: BookingID, member: MemberID, resource: BookedResource, start: Instant, end: Instant,
        status: BookingStatus = .booked, origin: ImportOrigin? = nil
    ) {
        self.id = id
        self.member = member
        self.resource = resource
        self.start = start
        self.end = end
        self.status = status
        self.origin = origin
    }

    /// Whether the booking still holds its resource (not cancelled nor released).
    public var holds: Bool { status == .booked || status == .checkedIn }

    /// Its check-in windows, with `rules`' grace for a booking journaled without them.
    public func windows(_ rules: ReconcileRules) -> [CheckInWindow] {
        checkIns ?? [CheckInWindow(from: start, by: start + rules.noShowGrace)]
    }

    /// The check-in window in force at `now` (the last one opened), if any.
    public func window(at now: Instant, _ rules: ReconcileRules) -> (index: Int, window: CheckInWindow)? {
        let all = windows(rules)
        guard let i = all.lastIndex(where: { $0.from <= now }) else { return nil }
        return (i, all[i])
    }

    /// Whether it still needs a check-in in `window`: booked and never checked in, or a
    /// multi-day booking last checked in before the window opened.
    public func needsCheckIn(in window: CheckInWindow) -> Bool {
        switch status {
        case .booked: return true
        case .checkedIn: return checkedInAt.map { $0 < window.from } ?? false
        case .cancelled, .released: return false
        }
    }

    public func overlaps(_ start: Instant, _ end: Instant) -> Bool { self.start < end && start < self.end }

    /// Whether it keeps its resource from others over `[start, end)`: it holds, and overlaps
    /// the span once the day its desk was freed for (a missed day's check-in) is over.
    public func blocks(_ start: Instant, _ end: Instant) -> Bool {
        holds && max(self.start, freeUntil ?? self.start) < end && start < self.end
    }
}

/// What a program entry is.
public enum SessionKind: String, Codable, Sendable, CaseIterable {
    case talk, workshop, barcamp, meetup, `break`
}

/// One entry of the day's program: a session in a room over a time slot, or a break.
public struct ProgramSession: Codable, Equatable, Sendable {
    public var id: SessionID
    public var title: String
    /// nil for a break that applies to the whole site.
    public var room: RoomID?
    public var start: Instant
    public var end: Instant
    public var kind: SessionKind
    public var track: String?
    /// Speakers or proposer as printed on the public program.
    public var speakers: [String]
    /// Set for a session imported from a calendar or a schedule.
    public var origin: ImportOrigin?

    public init(
        id: SessionID, title: String, room: RoomID?, start: Instant, end: Instant, kind: SessionKind = .talk,
        track: String? = nil, speakers: [String] = [], origin: ImportOrigin? = nil
    ) {
        self.origin = origin
        self.id = id
        self.title = title
        self.room = room
        self.start = start
        self.end = end
        self.kind = kind
        self.track = track
        self.speakers = speakers
    }
}
