import Foundation

// The site's physical layout as the core sees it: zones, doors, desks, rooms.
// Hardware details (GPIO chips and lines, MQTT node ids) stay in the daemon's config.

/// The layout of one site. Journaled as `layoutApplied` whenever it changes, so replay
/// never depends on the config file of the day.
public struct SiteLayout: Codable, Equatable, Sendable {
    public var site: SiteID
    public var name: String
    /// IANA time zone used for plans, bookings and the program (e.g. Europe/Paris).
    public var timeZone: String
    /// Fire-safety limit on people present.
    public var capacity: Int
    public var zones: [Zone]
    public var doors: [Door]
    public var desks: [Desk] { didSet { deskIndex = Self.index(desks) } }
    public var rooms: [Room]
    /// Opening hours per plan, booking margin, PIN after hours, denied-badge alarm.
    public var access: AccessRules
    /// Desk sensor hysteresis, silence timeout, report age limit.
    public var sensors: SensorRules
    /// No-show grace, flapping thresholds.
    public var reconcile: ReconcileRules
    /// Where each desk is in `desks`: a desk's report looks its desk up by id.
    private var deskIndex: [DeskID: Int]

    public init(
        site: SiteID, name: String, timeZone: String = "Europe/Paris", capacity: Int,
        zones: [Zone] = [], doors: [Door] = [], desks: [Desk] = [], rooms: [Room] = [],
        access: AccessRules = AccessRules(), sensors: SensorRules = SensorRules(),
        reconcile: ReconcileRules = ReconcileRules()
    ) {
        self.site = site
        self.name = name
        self.timeZone = timeZone
        self.capacity = capacity
        self.zones = zones
        self.doors = doors
        self.desks = desks
        self.deskIndex = Self.index(desks)
        self.rooms = rooms
        self.access = access
        self.sensors = sensors
        self.reconcile = reconcile
    }

    enum CodingKeys: String, CodingKey {
        case site, name, timeZone, capacity, zones, doors, desks, rooms, access, sensors, reconcile
    }

    /// Layouts journaled before access or sensor rules existed decode with the default rules.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        site = try c.decode(SiteID.self, forKey: .site)
        name = try c.decode(String.self, forKey: .name)
        timeZone = try c.decode(String.self, forKey: .timeZone)
        capacity = try c.decode(Int.self, forKey: .capacity)
        zones = try c.decode([Zone].self, forKey: .zones)
        doors = try c.decode([Door].self, forKey: .doors)
        desks = try c.decode([Desk].self, forKey: .desks)
        deskIndex = Self.index(desks)
        rooms = try c.decode([Room].self, forKey: .rooms)
        access = try c.decodeIfPresent(AccessRules.self, forKey: .access) ?? AccessRules()
        sensors = try c.decodeIfPresent(SensorRules.self, forKey: .sensors) ?? SensorRules()
        reconcile = try c.decodeIfPresent(ReconcileRules.self, forKey: .reconcile) ?? ReconcileRules()
    }

    public func door(_ id: DoorID) -> Door? { doors.first { $0.id == id } }
    public func desk(_ id: DeskID) -> Desk? { deskIndex[id].map { desks[$0] } }

    /// The first place of each desk id in `desks`.
    static func index(_ desks: [Desk]) -> [DeskID: Int] {
        Dictionary(desks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func room(_ id: RoomID) -> Room? { rooms.first { $0.id == id } }
}

public struct Zone: Codable, Equatable, Sendable {
    public var id: ZoneID
    public var name: String
    /// Most desks of the zone booked at once (nil: all of them); the rest stay for walk-ins.
    public var bookable: Int?
    public init(id: ZoneID, name: String, bookable: Int? = nil) {
        self.id = id
        self.name = name
        self.bookable = bookable
    }
}

/// Whether badging at this door counts as coming in or going out.
public enum DoorDirection: String, Codable, Sendable, CaseIterable {
    case entry, exit
}

public struct Door: Codable, Equatable, Sendable {
    public var id: DoorID
    public var name: String
    public var direction: DoorDirection
    /// Fail-secure doors stay locked without power; fail-safe ones open (fire exits).
    public var failSecure: Bool
    /// Unlock pulse, already capped at `Door.maxPulse`.
    public var pulse: Span
    /// An open door raises the held-open alarm after this long.
    public var heldOpenAfter: Span
    /// Lock again as soon as the door closes, without waiting for the end of the pulse.
    public var relockOnClose: Bool

    /// Default unlock pulse.
    public static let defaultPulse = Span.seconds(5)
    /// Hard cap on any unlock, whatever the config says.
    public static let maxPulse = Span.seconds(10)
    /// Default time before the held-open alarm.
    public static let defaultHeldOpen = Span.seconds(30)

    public init(
        id: DoorID, name: String, direction: DoorDirection = .entry, failSecure: Bool = true,
        pulse: Span = Door.defaultPulse, heldOpenAfter: Span = Door.defaultHeldOpen, relockOnClose: Bool = false
    ) {
        self.id = id
        self.name = name
        self.direction = direction
        self.failSecure = failSecure
        self.pulse = min(max(pulse, .milliseconds(100)), Door.maxPulse)
        self.heldOpenAfter = max(heldOpenAfter, .seconds(1))
        self.relockOnClose = relockOnClose
    }

    enum CodingKeys: String, CodingKey { case id, name, direction, failSecure, pulse, heldOpenAfter, relockOnClose }

    /// Doors journaled before the held-open alarm existed decode with its defaults; the pulse
    /// is capped again whatever the journal says.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(DoorID.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
            direction: try c.decode(DoorDirection.self, forKey: .direction),
            failSecure: try c.decode(Bool.self, forKey: .failSecure), pulse: try c.decode(Span.self, forKey: .pulse),
            heldOpenAfter: try c.decodeIfPresent(Span.self, forKey: .heldOpenAfter) ?? Door.defaultHeldOpen,
            relockOnClose: try c.decodeIfPresent(Bool.self, forKey: .relockOnClose) ?? false)
    }
}

/// Where a desk or room is drawn on the floor plan, in plan units (a desk is 1 × 1).
public struct PlanPosition: Codable, Equatable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double?
    public var height: Double?
    public init(x: Double, y: Double, width: Double? = nil, height: Double? = nil) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

public struct Desk: Codable, Equatable, Sendable {
    public var id: DeskID
    public var name: String
    public var zone: ZoneID
    /// Where its occupancy comes from (nil: no sensor, always unknown).
    public var sensor: DeskSensor?
    /// Where it is on the floor plan (nil: placed automatically).
    public var position: PlanPosition?
    public init(id: DeskID, name: String, zone: ZoneID, sensor: DeskSensor? = nil, position: PlanPosition? = nil) {
        self.id = id
        self.name = name
        self.zone = zone
        self.sensor = sensor
        self.position = position
    }

    /// The MQTT node reporting for this desk, if any.
    public var node: NodeID? { if case .node(let n) = sensor { n } else { nil } }
}

public struct Room: Codable, Equatable, Sendable {
    public var id: RoomID
    public var name: String
    public var capacity: Int
    /// Bookings of the room are whole slots of this length from the opening hour (nil: any
    /// times).
    public var slot: Span?
    /// The room's occupancy sensor (a node on `rooms/<room>/report`), if it has one: what
    /// tells an overstay or a walk-in into the room.
    public var sensor: DeskSensor?
    /// Where it is on the floor plan (nil: placed automatically).
    public var position: PlanPosition?
    /// Other names calendars and schedules give it (`Salle 1`, `Room 1`).
    public var aliases: [String]
    public init(
        id: RoomID, name: String, capacity: Int, slot: Span? = nil, sensor: DeskSensor? = nil,
        position: PlanPosition? = nil, aliases: [String] = []
    ) {
        self.id = id
        self.name = name
        self.capacity = capacity
        self.slot = slot
        self.sensor = sensor
        self.position = position
        self.aliases = aliases
    }

    enum CodingKeys: String, CodingKey { case id, name, capacity, slot, sensor, position, aliases }

    /// Written as before aliases existed when it has none: a snapshot taken by an earlier
    /// version re-encodes to the same bytes, so its digest still checks.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(capacity, forKey: .capacity)
        try c.encodeIfPresent(slot, forKey: .slot)
        try c.encodeIfPresent(sensor, forKey: .sensor)
        try c.encodeIfPresent(position, forKey: .position)
        if !aliases.isEmpty { try c.encode(aliases, forKey: .aliases) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(RoomID.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
            capacity: try c.decode(Int.self, forKey: .capacity), slot: try c.decodeIfPresent(Span.self, forKey: .slot),
            sensor: try c.decodeIfPresent(DeskSensor.self, forKey: .sensor),
            position: try c.decodeIfPresent(PlanPosition.self, forKey: .position),
            aliases: try c.decodeIfPresent([String].self, forKey: .aliases) ?? [])
    }

    /// The MQTT node reporting for this room, if any.
    public var node: NodeID? { if case .node(let n) = sensor { n } else { nil } }

    /// Whether `place` names this room: its id, name or an alias, whatever the case and accents.
    public func isNamed(_ place: String) -> Bool {
        let p = place.trimmingCharacters(in: .whitespacesAndNewlines)
        return p == id.rawValue
            || ([name] + aliases).contains {
                $0.compare(p, options: [.caseInsensitive, .diacriticInsensitive]) == .orderedSame
            }
    }
}

extension SiteLayout {
    /// The room a calendar's LOCATION or a schedule's room names: by id, name or alias, else
    /// by the first comma-separated part of an address (`Salle 1, 151 rue Montmartre, Paris`).
    public func room(named place: String) -> Room? {
        if let r = rooms.first(where: { $0.isNamed(place) }) { return r }
        guard let comma = place.firstIndex(of: ",") else { return nil }
        let first = String(place[..<comma])
        return rooms.first { $0.isNamed(first) }
    }
}
