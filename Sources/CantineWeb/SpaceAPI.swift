// SpaceAPI v15 (`/spaceapi.json`): whether the space is open (public opening hours and
// someone inside), people present, whether each door is locked, where it is, how to reach
// it, and its calendar (the .ics export). No personal data.

import CantineCore

/// What the config says about the space for SpaceAPI (`[spaceapi]`).
public struct SpaceInfo: Sendable, Equatable {
    public var url: String
    public var logo: String
    public var address: String?
    public var lat: Double
    public var lon: Double
    public var email: String?
    public var phone: String?
    /// Where the day's program is published as .ics (`feeds.calendar`).
    public var calendarURL: String?
    public init(
        url: String, logo: String, address: String? = nil, lat: Double, lon: Double, email: String? = nil,
        phone: String? = nil, calendarURL: String? = nil
    ) {
        self.url = url
        self.logo = logo
        self.address = address
        self.lat = lat
        self.lon = lon
        self.email = email
        self.phone = phone
        self.calendarURL = calendarURL
    }
}

/// The SpaceAPI v15 document (keys as the schema names them).
struct SpaceAPIDocument: Encodable {
    struct Location: Encodable {
        var address: String?
        var lat: Double
        var lon: Double
        var timezone: String
    }
    struct Contact: Encodable {
        var email: String?
        var phone: String?
    }
    struct StateBlock: Encodable {
        var open: Bool
        var message: String
    }
    struct People: Encodable {
        var value: Int
        var location: String
    }
    struct Locked: Encodable {
        var value: Bool
        var location: String
    }
    struct Sensors: Encodable {
        var peopleNowPresent: [People]
        var doorLocked: [Locked]
        enum CodingKeys: String, CodingKey { case peopleNowPresent = "people_now_present", doorLocked = "door_locked" }
    }
    struct Feed: Encodable {
        var type: String
        var url: String
    }
    struct Feeds: Encodable { var calendar: Feed? }

    var apiCompatibility = ["15"]
    var space: String
    var logo: String
    var url: String
    var location: Location
    var contact: Contact
    var state: StateBlock
    var sensors: Sensors
    var feeds: Feeds

    enum CodingKeys: String, CodingKey {
        case apiCompatibility = "api_compatibility", space, logo, url, location, contact, state, sensors, feeds
    }

    /// The document for `state` at `now`: open while the public opening hours are on and
    /// somebody is inside.
    init(_ state: State, info: SpaceInfo, now: Instant) {
        let layout = state.layout
        let summary = state.occupancy(at: now)
        let calendar = SiteCalendar.cached(layout?.timeZone ?? "UTC")
        let hoursOpen = layout.map { calendar.isOpen($0.access.publicHours, at: now) } ?? false
        let open = hoursOpen && summary.peoplePresent > 0
        space = layout?.name ?? ""
        logo = info.logo
        url = info.url
        location = Location(address: info.address, lat: info.lat, lon: info.lon, timezone: layout?.timeZone ?? "UTC")
        contact = Contact(email: info.email, phone: info.phone)
        self.state = StateBlock(
            open: open,
            message: open
                ? "\(summary.peoplePresent) present" : hoursOpen ? "nobody inside" : "outside opening hours")
        sensors = Sensors(
            peopleNowPresent: [People(value: summary.peoplePresent, location: layout?.name ?? "")],
            doorLocked: (layout?.doors ?? []).map {
                Locked(value: state.doors[$0.id]?.lock != .unlocked, location: $0.name)
            })
        feeds = Feeds(calendar: info.calendarURL.map { Feed(type: "ical", url: $0) })
    }
}
