// The state: a pure fold of the journal. Everything here is derivable by replay; nothing
// personal is held (members by opaque id, badges by token).

import Foundation

public enum LockState: String, Codable, Sendable {
    case locked, unlocked
}

public enum ContactState: String, Codable, Sendable {
    case unknown, closed, open
}

public enum DoorAlarm: String, Codable, Sendable, Comparable, CaseIterable {
    /// Opened while locked.
    case forced
    /// Left open longer than the door's `heldOpenAfter`.
    case heldOpen = "held-open"
    /// Too many denied badges at the reader in a short time (someone trying cards).
    case repeatedDenials = "repeated-denials"
    /// The reader's lines cannot be read (chip gone, wiring): nobody can badge in; the door
    /// stays locked (the exit is hard-wired).
    case readerOffline = "reader-offline"

    public static func < (a: DoorAlarm, b: DoorAlarm) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }

    /// The name published on MQTT and the API (`forced`, `held_open`, `repeated_denials`);
    /// the raw value is what the journal and snapshots keep.
    public var label: String { rawValue.replacingOccurrences(of: "-", with: "_") }
}

/// A badge waiting for its PIN on the reader's keypad.
public struct PendingPIN: Codable, Equatable, Sendable {
    public var member: MemberID
    public var token: CredentialToken
    /// The plan that will be logged with the grant, if a plan entitles the badge.
    public var plan: PlanKind?
    public var until: Instant
}

public struct DoorState: Codable, Equatable, Sendable {
    public var lock: LockState = .locked
    /// End of the current unlock pulse, when unlocked.
    public var unlockedUntil: Instant?
    public var contact: ContactState = .unknown
    /// When the door last opened, while it is open.
    public var openedAt: Instant?
    /// Active alarms, sorted by severity (most severe first).
    public var alarms: [DoorAlarm] = []
    /// Recent denied badges at this door's reader (within the denial window).
    public var recentDenials: [Instant] = []
    public var pendingPIN: PendingPIN?
    public init() {}

    /// The door state as published (`locked` / `unlocked` / `open` / `forced` / `held_open`).
    public var label: String {
        if let alarm = alarms.first(where: { $0 == .forced || $0 == .heldOpen }) { return alarm.label }
        if contact == .open { return "open" }
        return lock.rawValue
    }

    /// Raises `alarm`; false when it was already raised.
    mutating func raise(_ alarm: DoorAlarm) -> Bool {
        guard !alarms.contains(alarm) else { return false }
        alarms.append(alarm)
        alarms.sort()
        return true
    }

    /// Clears `alarm`; false when it was not raised.
    mutating func clear(_ alarm: DoorAlarm) -> Bool {
        guard let i = alarms.firstIndex(of: alarm) else { return false }
        alarms.remove(at: i)
        return true
    }
}

public enum Occupancy: String, Codable, Sendable {
    case unknown, vacant, occupied
}

/// What a sensed place (a desk, or a room with a sensor) shows and the observations behind it.
public struct DeskState: Codable, Equatable, Sendable {
    /// What the place shows (after hysteresis).
    public var occupancy: Occupancy = .unknown
    public var since: Instant?
    /// A change observed but not held long enough yet, and since when.
    public var pending: Bool?
    public var pendingSince: Instant?
    /// The last report taken in: its node's seq and uptime, and when it arrived.
    public var lastSeq: Int64?
    public var lastUptime: Int64?
    public var lastReportAt: Instant?
    /// The last changes of `occupancy` (bounded), for flapping detection.
    public var changes: [Instant] = []
    /// Reports contradicting the ones taken in (another stream on the same topic): since when,
    /// and when last seen.
    public var conflictSince: Instant?
    public var conflictAt: Instant?
    public init() {}

    enum CodingKeys: String, CodingKey {
        case occupancy, since, pending, pendingSince, lastSeq, lastUptime, lastReportAt, changes
        case conflictSince, conflictAt
    }

    /// Snapshots written before `changes` existed decode with none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        occupancy = try c.decode(Occupancy.self, forKey: .occupancy)
        since = try c.decodeIfPresent(Instant.self, forKey: .since)
        pending = try c.decodeIfPresent(Bool.self, forKey: .pending)
        pendingSince = try c.decodeIfPresent(Instant.self, forKey: .pendingSince)
        lastSeq = try c.decodeIfPresent(Int64.self, forKey: .lastSeq)
        lastUptime = try c.decodeIfPresent(Int64.self, forKey: .lastUptime)
        lastReportAt = try c.decodeIfPresent(Instant.self, forKey: .lastReportAt)
        changes = try c.decodeIfPresent([Instant].self, forKey: .changes) ?? []
        conflictSince = try c.decodeIfPresent(Instant.self, forKey: .conflictSince)
        conflictAt = try c.decodeIfPresent(Instant.self, forKey: .conflictAt)
    }
}

/// Why a door opened or stayed shut: every access decision carries one.
public enum AccessReason: String, Codable, Sendable, CaseIterable {
    /// A plan valid now, within its opening hours.
    case plan = "granted.plan"
    /// A booking today (desk or room) within its window and margin.
    case booking = "granted.booking"
    /// A staff plan.
    case staff = "granted.staff"
    /// A member of another site of the network, on their home site's record.
    case visitor = "granted.visitor"
    /// Badge and the right PIN after hours.
    case pin = "granted.pin"
    /// The request-to-exit button.
    case exitButton = "granted.exit_button"
    /// Unlocked by staff from the CLI or the dashboard.
    case remote = "granted.remote"
    /// Badge accepted, waiting for the PIN (after hours).
    case pinPending = "pending.pin"
    case unknownCard = "denied.unknown_card"
    case revoked = "denied.revoked"
    case disabled = "denied.disabled"
    /// Every plan the member had has ended.
    case expired = "denied.expired"
    /// The member's plans start later.
    case notYetValid = "denied.not_yet_valid"
    /// The member has no plan and no booking.
    case noPlan = "denied.no_plan"
    /// A plan or booking today, but not at this hour.
    case outsideHours = "denied.outside_hours"
    /// The frame failed its parity check.
    case parity = "denied.parity"
    /// The frame length matches no card format.
    case unknownFormat = "denied.unknown_format"
    /// After hours, but the badge has no PIN set.
    case noPIN = "denied.no_pin"
    case wrongPIN = "denied.wrong_pin"
    case pinTimeout = "denied.pin_timeout"
    case unknownDoor = "denied.unknown_door"
    /// A visitor whose home site has not been heard for longer than their record's ttl.
    case staleVisitor = "denied.stale_visitor"

    public var granted: Bool { rawValue.hasPrefix("granted.") }

    /// What staff read for this reason, in the site's language (`fr` or `en`); the code stays
    /// in the JSON and the CSV beside it.
    public func label(_ locale: String) -> String {
        let (fr, en): (String, String) =
            switch self {
            case .plan: ("abonnement", "plan")
            case .booking: ("réservation", "booking")
            case .staff: ("équipe", "staff")
            case .visitor: ("membre d'un autre lieu", "visiting member")
            case .pin: ("badge et code", "badge and PIN")
            case .exitButton: ("bouton de sortie", "exit button")
            case .remote: ("ouverture à distance", "remote unlock")
            case .pinPending: ("code attendu", "waiting for PIN")
            case .unknownCard: ("badge inconnu", "unknown card")
            case .revoked: ("badge révoqué", "revoked badge")
            case .disabled: ("membre désactivé", "member disabled")
            case .expired: ("abonnement expiré", "plan expired")
            case .notYetValid: ("abonnement pas encore valable", "plan not yet valid")
            case .noPlan: ("ni abonnement ni réservation", "no plan or booking")
            case .outsideHours: ("hors horaires", "outside hours")
            case .parity: ("lecture brouillée (parité)", "garbled read (parity)")
            case .unknownFormat: ("format de badge inconnu", "unknown card format")
            case .noPIN: ("pas de code défini", "no PIN set")
            case .wrongPIN: ("mauvais code", "wrong PIN")
            case .pinTimeout: ("code trop tard", "PIN too late")
            case .unknownDoor: ("porte inconnue", "unknown door")
            case .staleVisitor: ("lieu d'origine injoignable", "home site not heard")
            }
        return locale == "en" ? en : fr
    }
    public var pending: Bool { rawValue.hasPrefix("pending.") }
}

/// One access decision, as logged and published.
public struct AccessRecord: Codable, Equatable, Sendable {
    public var door: DoorID
    public var member: MemberID?
    public var granted: Bool
    public var reason: AccessReason
    public var plan: PlanKind?
    public var at: Instant
    /// A remote unlock's operator and the reason they gave.
    public var by: String?
    public var note: String?

    public init(
        door: DoorID, member: MemberID?, reason: AccessReason, plan: PlanKind? = nil, at: Instant, by: String? = nil,
        note: String? = nil
    ) {
        self.door = door
        self.member = member
        self.granted = reason.granted
        self.reason = reason
        self.plan = plan
        self.at = at
        self.by = by
        self.note = note
    }
}

/// Running totals, part of the state so replay checks them too.
public struct Counters: Codable, Equatable, Sendable {
    public var events: Int64 = 0
    public var granted: Int64 = 0
    public var denied: Int64 = 0
    public init() {}
}

/// The whole in-memory state of a site.
public struct State: Codable, Equatable, Sendable {
    public var layout: SiteLayout?
    public var members: [MemberID: Member] = [:]
    /// Credentials by token, the key a badge read is matched on.
    public var credentials: [CredentialToken: Credential] = [:]
    /// Index of `credentials` by badge id.
    public var credentialTokens: [CredentialID: CredentialToken] = [:]
    /// Bookings ended less than a week ago, and those to come (older ones are in the store).
    public var bookings: [BookingID: Booking] = [:]
    /// Program sessions ended less than a week ago, and those to come.
    public var sessions: [SessionID: ProgramSession] = [:]
    /// Rooms of the program only (nil until an import adds one: a state without them encodes
    /// as before, so earlier snapshots keep their digest).
    public var programRooms: [RoomID: ProgramRoom]?
    public var doors: [DoorID: DoorState] = [:]
    public var desks: [DeskID: DeskState] = [:]
    /// Sensed occupancy of the rooms that have a sensor.
    public var rooms: [RoomID: DeskState] = [:]
    /// Desk and room sensor nodes as last heard of.
    public var nodes: [NodeID: NodeState] = [:]
    /// Members inside, with the time they came in.
    public var present: [MemberID: Instant] = [:]
    /// Reconciliation findings: ongoing ones, those over for 30 days, resolved ones for a week
    /// (`Finding.kept(at:)`).
    public var findings = Findings()
    public var counters = Counters()
    /// Visitors and other sites of the network (nil for a site that never heard of one, so its
    /// snapshots stay as they were).
    public var network: NetworkState?

    public init() {}

    /// How long bookings and sessions stay in memory after they end (trimmed as new ones come).
    public static let keepEnded = Span.seconds(7 * 86_400)

    enum CodingKeys: String, CodingKey {
        case layout, members, credentials, credentialTokens, bookings, sessions, doors, desks, rooms, nodes, present
        case findings, counters, network, programRooms
    }

    /// Snapshots written before a field existed decode with it empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layout = try c.decodeIfPresent(SiteLayout.self, forKey: .layout)
        members = try c.decode([MemberID: Member].self, forKey: .members)
        credentials = try c.decode([CredentialToken: Credential].self, forKey: .credentials)
        credentialTokens = try c.decode([CredentialID: CredentialToken].self, forKey: .credentialTokens)
        bookings = try c.decode([BookingID: Booking].self, forKey: .bookings)
        sessions = try c.decode([SessionID: ProgramSession].self, forKey: .sessions)
        doors = try c.decode([DoorID: DoorState].self, forKey: .doors)
        desks = try c.decode([DeskID: DeskState].self, forKey: .desks)
        rooms = try c.decodeIfPresent([RoomID: DeskState].self, forKey: .rooms) ?? [:]
        nodes = try c.decodeIfPresent([NodeID: NodeState].self, forKey: .nodes) ?? [:]
        present = try c.decode([MemberID: Instant].self, forKey: .present)
        findings = try c.decodeIfPresent(Findings.self, forKey: .findings) ?? Findings()
        counters = try c.decode(Counters.self, forKey: .counters)
        network = try c.decodeIfPresent(NetworkState.self, forKey: .network)
        programRooms = try c.decodeIfPresent([RoomID: ProgramRoom].self, forKey: .programRooms)
    }

    /// A room sessions may be held in: the layout's, or one of the program only.
    public func programRoomName(_ id: RoomID) -> String? {
        layout?.room(id)?.name ?? programRooms?[id]?.name
    }

    /// Deterministic JSON of the whole state (sorted keys): the input of the state digest.
    public func canonicalJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every field is a plain value type: encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The badge with this id (a badge whose card was re-enrolled under another id is gone).
    public func credential(id: CredentialID) -> Credential? {
        credentialTokens[id].flatMap { credentials[$0] }.flatMap { $0.id == id ? $0 : nil }
    }
}

/// Live occupancy summary, derived from the state (what `/api/occupancy` and MQTT publish).
public struct OccupancySummary: Codable, Equatable, Sendable {
    public struct ZoneCount: Codable, Equatable, Sendable {
        public var zone: ZoneID
        public var name: String
        public var free: Int
        public var occupied: Int
        public var unknown: Int
    }
    public struct RoomStatus: Codable, Equatable, Sendable {
        public var room: RoomID
        public var name: String
        public var busy: Bool
        /// End of the current booking when busy, start of the next one when free.
        @ISO8601Instant public var until: Instant?
        /// What the room's sensor says; nil for a room without one.
        public var occupancy: Occupancy?
    }
    public var site: SiteID?
    /// Best estimate: members badged in, or occupied desks when sensors see more people.
    public var peoplePresent: Int
    /// Members who badged in (and not out) within the presence limit.
    public var badgedIn: Int
    public var desksOccupied: Int
    public var capacity: Int
    public var zones: [ZoneCount]
    public var rooms: [RoomStatus]
    @ISO8601Instant public var updatedAt: Instant?

    enum CodingKeys: String, CodingKey {
        case site, peoplePresent = "people_present", badgedIn = "badged_in", desksOccupied = "desks_occupied"
        case capacity, zones, rooms, updatedAt = "updated_at"
    }
}

extension State {
    /// The occupancy summary at `now`.
    public func occupancy(at now: Instant) -> OccupancySummary {
        let layout = self.layout
        let zones = (layout?.zones ?? []).map { zone -> OccupancySummary.ZoneCount in
            var c = OccupancySummary.ZoneCount(zone: zone.id, name: zone.name, free: 0, occupied: 0, unknown: 0)
            for desk in layout?.desks ?? [] where desk.zone == zone.id {
                switch desks[desk.id]?.occupancy ?? .unknown {
                case .occupied: c.occupied += 1
                case .vacant: c.free += 1
                case .unknown: c.unknown += 1
                }
            }
            return c
        }
        let rooms = (layout?.rooms ?? []).map { room -> OccupancySummary.RoomStatus in
            let roomBookings = bookings.values
                .filter { $0.resource == .room(room.id) && $0.holds }  // a released no-show frees it
            let sensed = self.rooms[room.id]?.occupancy
            if let current = roomBookings.first(where: { $0.start <= now && now < $0.end }) {
                return .init(room: room.id, name: room.name, busy: true, until: current.end, occupancy: sensed)
            }
            let next = roomBookings.filter { $0.start > now }.map(\.start).min()
            return .init(room: room.id, name: room.name, busy: false, until: next, occupancy: sensed)
        }
        let ttl = layout?.sensors.presenceTTL ?? SensorRules().presenceTTL
        let badgedIn = present.values.filter { now - $0 < ttl }.count
        let occupied = zones.reduce(0) { $0 + $1.occupied }
        return OccupancySummary(
            site: layout?.site, peoplePresent: max(badgedIn, occupied), badgedIn: badgedIn, desksOccupied: occupied,
            capacity: layout?.capacity ?? 0, zones: zones, rooms: rooms, updatedAt: now)
    }
}

extension JSONEncoder {
    /// The encoder of public JSON (MQTT payloads, HTTP API): sorted keys, slashes unescaped.
    public static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// Encodes an optional instant as an ISO 8601 string (`2026-11-21T14:00:00Z`) in public JSON,
/// where people and other programs read it; the journal keeps integer microseconds.
@propertyWrapper
public struct ISO8601Instant: Codable, Equatable, Sendable {
    public var wrappedValue: Instant?
    public init(wrappedValue: Instant?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            wrappedValue = nil
        } else {
            let text = try c.decode(String.self)
            guard let date = try? Date(text, strategy: .iso8601) else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "expected an ISO 8601 date, got \(text)")
            }
            wrappedValue = Instant(date)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue.description) } else { try c.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// A missing key decodes as nil.
    public func decode(_ type: ISO8601Instant.Type, forKey key: Key) throws -> ISO8601Instant {
        try decodeIfPresent(type, forKey: key) ?? ISO8601Instant(wrappedValue: nil)
    }
}
