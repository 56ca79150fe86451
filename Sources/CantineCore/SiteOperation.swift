// Operations: what people ask of the site (the CLI, the staff dashboard), with their
// personal data. Pure values: the daemon's Site performs them (validated core commands
// plus the record writes that go with them); the CLI sends them through the inbox.

import CantineProtocol

/// A person-facing action. Codable: it travels through the inbox.
public enum SiteOperation: Codable, Equatable, Sendable {
    case addMember(id: String?, name: String, email: String?)
    case setMemberStatus(member: String, active: Bool)
    case grantPlan(member: String, kind: PlanKind, from: String, days: Int)
    /// Ends a member's plan now (`by`: who, for the journal).
    case endPlan(member: String, plan: String, by: String)
    case enrollBadge(member: String, format: WiegandFormat, facility: UInt32, card: UInt64, id: String?, pin: String?)
    case revokeBadge(id: String)
    /// Sets (or with nil removes) the PIN typed after the badge outside public hours.
    case setBadgePIN(id: String, pin: String?)
    /// Unlocks a door for one pulse. Refused when the request is older than the config's
    /// `access.remote_unlock_max_age_s`: a late request is never carried out.
    case unlockDoor(door: String, by: String, reason: String, requestedAtUs: Int64)
    /// Marks a member as gone: they left without badging out (staff saw them go).
    case markLeft(member: String, by: String)
    case bookDesk(member: String, desk: String, date: String, period: DeskPeriod, days: Int, id: String?)
    case bookRoom(member: String, room: String, date: String, start: String, end: String, id: String?)
    case cancelBooking(id: String)
    case addSession(
        title: String, room: String?, date: String, start: String, end: String, kind: SessionKind, track: String?,
        speakers: [String], id: String?)
    case removeSession(id: String)
    /// Changes a session: any of its room, date, times and title (a barcamp session moved
    /// to another slot or room).
    case editSession(id: String, title: String?, room: String?, date: String?, start: String?, end: String?)
    /// Imports an iCalendar feed's events from `from` (a date) for `days` days as program
    /// sessions or bookings; with `dryRun`, only says what would change.
    case importCalendar(
        text: String, feed: String, target: CalendarTarget, member: String?, from: String, days: Int, dryRun: Bool,
        unmatched: UnmatchedRooms = .refuse)
    /// Imports a frab/pretalx schedule.json (v1 or v2) as program sessions, its rooms found
    /// among the site's as `rooms` says.
    case importSchedule(text: String, feed: String, dryRun: Bool, rooms: ScheduleRooms = ScheduleRooms())
    /// Staff resolve a reconciliation finding (confirm, release, attach to a member, dismiss).
    case resolveFinding(id: String, action: FindingAction, member: String?, by: String)
    /// Snapshot the live state now (`cantine replay` compares its replay with it).
    case snapshot
    /// Erases everything held about a member (their right to erasure); the journal keeps an
    /// anonymous `member.erased` entry, and their sealed profile becomes unreadable.
    case eraseMember(member: String)
    /// Whether a member agreed to their name on MQTT events (off unless they opt in).
    case setNamePublishing(member: String, allowed: Bool)
    /// Folds the journal before `before` (a date, not in the future) into a base snapshot
    /// and drops those entries.
    case compactJournal(before: String)
    /// Applies the retention periods of the config now (the daemon does it daily).
    case enforceRetention
}

/// What an operation did: a sentence for people and the id it created or touched.
public struct OperationResult: Codable, Equatable, Sendable {
    public var message: String
    public var id: String
    public init(message: String, id: String) {
        self.message = message
        self.id = id
    }
}

/// What the events of an iCalendar feed become.
public enum CalendarTarget: String, Codable, Sendable, CaseIterable {
    /// Program entries (community events, talks): LOCATION names the room, or none for the
    /// whole site.
    case sessions
    /// Room (or desk) bookings: LOCATION names the room or desk; the member is `--member` or
    /// the member whose email is the event's ORGANIZER.
    case bookings
}

/// How a schedule's rooms are found among the site's: by the `map` (schedule room name → site
/// room id, or `*` for the whole site), else by a room's id or name; the room named after the
/// site (the exports' room for site-wide breaks) is the whole site.
public struct ScheduleRooms: Codable, Equatable, Sendable {
    public var unmatched: UnmatchedRooms
    public var map: [String: String]

    public init(unmatched: UnmatchedRooms = .refuse, map: [String: String] = [:]) {
        self.unmatched = unmatched
        self.map = map
    }
}

/// What an import does with an item whose place is not a room of the site (by id, name,
/// alias, or an address's first part).
public enum UnmatchedRooms: String, Codable, Sendable, CaseIterable {
    /// The import is refused, naming every such item (the default).
    case refuse
    /// Those items are left out (a shared calendar's other places, a conference's other venues).
    case skip
    /// Those items are the whole site's (program sessions only).
    case site
    /// Their rooms are added as rooms of the program only (schedules only).
    case create
}
