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

/// A room of the program only — a conference's hall that is not one of the site's rooms
/// (`cantine import schedule --rooms create`): sessions are scheduled in it; nothing is
/// booked or sensed there.
public struct ProgramRoom: Codable, Equatable, Sendable {
    public var id: RoomID
    public var name: String
    public init(id: RoomID, name: String) {
        self.id = id
        self.name = name
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
    /// What a schedule said beyond the board's needs (abstract, links, the source's ids),
    /// kept so the program's exports give it back.
    public var details: SessionDetails?

    /// The longest title kept: schedules' long titles are kept whole (the screen shortens them).
    public static let maxTitle = 1000

    public init(
        id: SessionID, title: String, room: RoomID?, start: Instant, end: Instant, kind: SessionKind = .talk,
        track: String? = nil, speakers: [String] = [], origin: ImportOrigin? = nil, details: SessionDetails? = nil
    ) {
        self.origin = origin
        self.details = details
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

/// A session's public description as pretalx and frab carry it: the text, the links and the
/// source's own ids (exported again unchanged, so consumers keep their bookmarks).
public struct SessionDetails: Codable, Equatable, Sendable {
    /// A person on the program: frab names them `{id, public_name}`, pretalx `{code, name}`.
    public struct Person: Codable, Equatable, Sendable {
        public var name: String
        public var id: Int?
        public var code: String?
        public init(name: String, id: Int? = nil, code: String? = nil) {
            self.name = name
            self.id = id
            self.code = code
        }
    }

    /// A link or an attachment: a URL and what it is.
    public struct Link: Codable, Equatable, Sendable {
        public var url: String
        public var title: String
        public init(url: String, title: String) {
            self.url = url
            self.title = title
        }
    }

    /// The source's numeric id (frab's and pretalx's `id`).
    public var sourceID: Int?
    public var guid: String?
    public var slug: String?
    public var url: String?
    public var subtitle: String?
    public var abstract: String?
    public var description: String?
    /// The talk's language as the source gives it (`en`, `de`, `fr`).
    public var language: String?
    /// The source's type as written (`Talk`, `Lightning talk`): the kind is what the board uses.
    public var type: String?
    public var persons: [Person]
    public var links: [Link]
    public var attachments: [Link]

    public init(
        sourceID: Int? = nil, guid: String? = nil, slug: String? = nil, url: String? = nil, subtitle: String? = nil,
        abstract: String? = nil, description: String? = nil, language: String? = nil, type: String? = nil,
        persons: [Person] = [], links: [Link] = [], attachments: [Link] = []
    ) {
        self.sourceID = sourceID
        self.guid = guid
        self.slug = slug
        self.url = url
        self.subtitle = subtitle
        self.abstract = abstract
        self.description = description
        self.language = language
        self.type = type
        self.persons = persons
        self.links = links
        self.attachments = attachments
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sourceID = try c.decodeIfPresent(Int.self, forKey: .sourceID)
        guid = try c.decodeIfPresent(String.self, forKey: .guid)
        slug = try c.decodeIfPresent(String.self, forKey: .slug)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        subtitle = try c.decodeIfPresent(String.self, forKey: .subtitle)
        abstract = try c.decodeIfPresent(String.self, forKey: .abstract)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        language = try c.decodeIfPresent(String.self, forKey: .language)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        persons = try c.decodeIfPresent([Person].self, forKey: .persons) ?? []
        links = try c.decodeIfPresent([Link].self, forKey: .links) ?? []
        attachments = try c.decodeIfPresent([Link].self, forKey: .attachments) ?? []
    }
}
