// Events: every input to Cantine, as journaled. Journal rows hold `kind` + a JSON payload,
// so the table stays readable with the sqlite3 shell and new kinds can be added freely.

import CantineProtocol
import Foundation

/// An input to the core. Events name people only by opaque ids and badges by tokens.
public enum Event: Equatable, Sendable {
    /// The daemon (re)started: relays were driven locked at boot, sensor states are unknown.
    case daemonStarted(DaemonStarted)
    /// The site layout from the config, journaled when it changes.
    case layoutApplied(SiteLayout)
    case memberRegistered(MemberRef)
    case memberDisabled(MemberRef)
    case memberEnabled(MemberRef)
    /// A member's personal data was erased (their right to erasure): the core forgets them,
    /// their badges and bookings. Anonymous: the opaque id only.
    case memberErased(MemberRef)
    case planGranted(PlanGranted)
    /// A plan cut short: it stops holding at `at` (a member leaving, a refund).
    case planEnded(PlanEnded)
    case credentialEnrolled(Credential)
    case credentialRevoked(CredentialRef)
    /// A badge was read at a door (token nil when the frame could not be decoded).
    case badgePresented(BadgePresented)
    /// A PIN was typed on a door's keypad after a badge (as a keyed digest, never the digits).
    case pinEntered(PINEntered)
    /// The request-to-exit button of a door was pressed.
    case exitRequested(DoorRef)
    /// Staff unlocked a door remotely, with a reason (audited).
    case remoteUnlock(RemoteUnlock)
    /// Staff marked a member as gone (they left without badging out), naming who did.
    case presenceCleared(PresenceCleared)
    /// A badge's PIN was set or removed.
    case credentialPINSet(CredentialPIN)
    /// The door contact opened or closed.
    case doorContact(DoorContact)
    /// A door's reader lines failed (the GPIO chip vanished, a read error) or came back.
    case readerFault(ReaderFault)
    /// A desk sensor reported presence or absence (a node's report taken in, or a wired line).
    case deskReported(DeskReport)
    /// A meeting room's sensor node reported presence or absence.
    case roomReported(RoomReport)
    /// Node reports that only repeated what their places showed, journaled together.
    case sensorHeartbeats(HeartbeatBatch)
    /// Reports for a desk or room keep contradicting the ones taken in (refused as out of
    /// order): two nodes on one topic, or a node replaying old data.
    case sensorConflict(SensorConflict)
    /// A desk sensor node said it is online or offline (its last will).
    case nodeStatus(NodeStatus)
    /// The lines of wired desk sensors failed (their GPIO chip vanished): those desks are no
    /// longer known until their lines are read again.
    case wiredSensorFault(WiredSensorFault)
    case bookingCreated(Booking)
    /// A booking replaced by a new version of itself (an import's update).
    case bookingChanged(Booking)
    case bookingCancelled(BookingRef)
    case sessionScheduled(ProgramSession)
    case sessionRemoved(SessionRef)
    /// A room of the program only was added (an import's `--rooms create`).
    case programRoomAdded(ProgramRoom)
    /// A timer the reducer scheduled has come due.
    case timerFired(TimerID)
    /// Reconciliation found a booking honoured (journaled after the input that showed it).
    case bookingCheckedIn(BookingCheckIn)
    /// Reconciliation raised a finding (a no-show also releases its booking).
    case findingRaised(Finding)
    /// A finding's condition stopped holding; it stays until staff resolve it.
    case findingEnded(FindingRef)
    /// Staff resolved a finding.
    case findingResolved(FindingResolution)
    /// A member record of another site of the network, verified at the edge.
    case roamingRecord(RoamingRecord)
    /// Another site of the network was heard live.
    case siteHeard(SiteHeard)
    /// Another site reported a visit of one of this site's members.
    case visitReported(VisitReport)

    /// The event's kind and payload: the one place an event is taken apart for the journal.
    /// A new case must be named here (the switch is exhaustive), and its new `EventKind` then
    /// needs a decoding in `decode` (exhaustive too): a forgotten kind does not compile.
    public var parts: (kind: EventKind, payload: any Encodable) {
        switch self {
        case .daemonStarted(let p): (.daemonStarted, p)
        case .layoutApplied(let p): (.layoutApplied, p)
        case .memberRegistered(let p): (.memberRegistered, p)
        case .memberDisabled(let p): (.memberDisabled, p)
        case .memberEnabled(let p): (.memberEnabled, p)
        case .memberErased(let p): (.memberErased, p)
        case .planGranted(let p): (.planGranted, p)
        case .planEnded(let p): (.planEnded, p)
        case .credentialEnrolled(let p): (.credentialEnrolled, p)
        case .credentialRevoked(let p): (.credentialRevoked, p)
        case .badgePresented(let p): (.badgePresented, p)
        case .pinEntered(let p): (.pinEntered, p)
        case .exitRequested(let p): (.exitRequested, p)
        case .remoteUnlock(let p): (.remoteUnlock, p)
        case .presenceCleared(let p): (.presenceCleared, p)
        case .credentialPINSet(let p): (.credentialPINSet, p)
        case .doorContact(let p): (.doorContact, p)
        case .readerFault(let p): (.readerFault, p)
        case .wiredSensorFault(let p): (.wiredSensorFault, p)
        case .deskReported(let p): (.deskReported, p)
        case .roomReported(let p): (.roomReported, p)
        case .sensorHeartbeats(let p): (.sensorHeartbeats, p)
        case .sensorConflict(let p): (.sensorConflict, p)
        case .nodeStatus(let p): (.nodeStatus, p)
        case .bookingCreated(let p): (.bookingCreated, p)
        case .bookingChanged(let p): (.bookingChanged, p)
        case .bookingCancelled(let p): (.bookingCancelled, p)
        case .sessionScheduled(let p): (.sessionScheduled, p)
        case .sessionRemoved(let p): (.sessionRemoved, p)
        case .programRoomAdded(let p): (.programRoomAdded, p)
        case .timerFired(let p): (.timerFired, p)
        case .bookingCheckedIn(let p): (.bookingCheckedIn, p)
        case .findingRaised(let p): (.findingRaised, p)
        case .findingEnded(let p): (.findingEnded, p)
        case .findingResolved(let p): (.findingResolved, p)
        case .roamingRecord(let p): (.roamingRecord, p)
        case .siteHeard(let p): (.siteHeard, p)
        case .visitReported(let p): (.visitReported, p)
        }
    }

    /// The name of the event in the journal's `kind` column.
    public var kind: String { parts.kind.rawValue }

    /// Encodes the payload (without the kind) as JSON (a sensor report's directly: ReportJSON).
    public func encodePayload(with encoder: JSONEncoder) throws -> Data {
        try reportPayload ?? encoder.encode(parts.payload)
    }

    /// Decodes an event from its journal kind and JSON payload.
    public static func decode(kind: String, payload: Data, with decoder: JSONDecoder) throws -> Event {
        guard let kind = EventKind(rawValue: kind) else { throw UnknownEventKind(kind: kind) }
        func d<T: Decodable>(_ t: T.Type) throws -> T { try decoder.decode(t, from: payload) }
        switch kind {
        case .daemonStarted: return .daemonStarted(try d(DaemonStarted.self))
        case .layoutApplied: return .layoutApplied(try d(SiteLayout.self))
        case .memberRegistered: return .memberRegistered(try d(MemberRef.self))
        case .memberDisabled: return .memberDisabled(try d(MemberRef.self))
        case .memberEnabled: return .memberEnabled(try d(MemberRef.self))
        case .memberErased: return .memberErased(try d(MemberRef.self))
        case .planGranted: return .planGranted(try d(PlanGranted.self))
        case .planEnded: return .planEnded(try d(PlanEnded.self))
        case .credentialEnrolled: return .credentialEnrolled(try d(Credential.self))
        case .credentialRevoked: return .credentialRevoked(try d(CredentialRef.self))
        case .badgePresented: return .badgePresented(try d(BadgePresented.self))
        case .pinEntered: return .pinEntered(try d(PINEntered.self))
        case .exitRequested: return .exitRequested(try d(DoorRef.self))
        case .remoteUnlock: return .remoteUnlock(try d(RemoteUnlock.self))
        case .presenceCleared: return .presenceCleared(try d(PresenceCleared.self))
        case .credentialPINSet: return .credentialPINSet(try d(CredentialPIN.self))
        case .doorContact: return .doorContact(try d(DoorContact.self))
        case .readerFault: return .readerFault(try d(ReaderFault.self))
        case .wiredSensorFault: return .wiredSensorFault(try d(WiredSensorFault.self))
        case .deskReported: return .deskReported(try d(DeskReport.self))
        case .roomReported: return .roomReported(try d(RoomReport.self))
        case .sensorHeartbeats: return .sensorHeartbeats(try d(HeartbeatBatch.self))
        case .sensorConflict: return .sensorConflict(try d(SensorConflict.self))
        case .nodeStatus: return .nodeStatus(try d(NodeStatus.self))
        case .bookingCreated: return .bookingCreated(try d(Booking.self))
        case .bookingChanged: return .bookingChanged(try d(Booking.self))
        case .bookingCancelled: return .bookingCancelled(try d(BookingRef.self))
        case .sessionScheduled: return .sessionScheduled(try d(ProgramSession.self))
        case .sessionRemoved: return .sessionRemoved(try d(SessionRef.self))
        case .programRoomAdded: return .programRoomAdded(try d(ProgramRoom.self))
        case .timerFired: return .timerFired(try d(TimerID.self))
        case .bookingCheckedIn: return .bookingCheckedIn(try d(BookingCheckIn.self))
        case .findingRaised: return .findingRaised(try d(Finding.self))
        case .findingEnded: return .findingEnded(try d(FindingRef.self))
        case .findingResolved: return .findingResolved(try d(FindingResolution.self))
        case .roamingRecord: return .roamingRecord(try d(RoamingRecord.self))
        case .siteHeard: return .siteHeard(try d(SiteHeard.self))
        case .visitReported: return .visitReported(try d(VisitReport.self))
        }
    }
}

/// Every kind of event, by its name in the journal's `kind` column (never renamed: old
/// journals are read by it).
public enum EventKind: String, CaseIterable, Sendable {
    case daemonStarted = "daemon.started"
    case layoutApplied = "layout.applied"
    case memberRegistered = "member.registered"
    case memberDisabled = "member.disabled"
    case memberEnabled = "member.enabled"
    case memberErased = "member.erased"
    case planGranted = "plan.granted"
    case planEnded = "plan.ended"
    case credentialEnrolled = "credential.enrolled"
    case credentialRevoked = "credential.revoked"
    case badgePresented = "badge.presented"
    case pinEntered = "door.pin-entered"
    case exitRequested = "door.exit-requested"
    case remoteUnlock = "door.remote-unlock"
    case presenceCleared = "presence.cleared"
    case credentialPINSet = "credential.pin-set"
    case doorContact = "door.contact"
    case readerFault = "door.reader-fault"
    case wiredSensorFault = "desk.wired-fault"
    case deskReported = "desk.reported"
    case roomReported = "room.reported"
    case sensorHeartbeats = "sensor.heartbeats"
    case sensorConflict = "sensor.conflict"
    case nodeStatus = "node.status"
    case bookingCreated = "booking.created"
    case bookingChanged = "booking.changed"
    case bookingCancelled = "booking.cancelled"
    case sessionScheduled = "session.scheduled"
    case sessionRemoved = "session.removed"
    case programRoomAdded = "program.room-added"
    case timerFired = "timer.fired"
    case bookingCheckedIn = "booking.checked-in"
    case findingRaised = "finding.raised"
    case findingEnded = "finding.ended"
    case findingResolved = "finding.resolved"
    case roamingRecord = "network.record"
    case siteHeard = "network.site-heard"
    case visitReported = "network.visit"
}

/// A journal row of a kind this version does not know (written by a newer Cantine).
public struct UnknownEventKind: Error, CustomStringConvertible {
    public let kind: String
    public var description: String { "unknown event kind '\(kind)': written by a newer cantine? upgrade cantine" }
}

public struct DaemonStarted: Codable, Equatable, Sendable {
    public var version: String
    public init(version: String) { self.version = version }
}

public struct MemberRef: Codable, Equatable, Sendable {
    public var member: MemberID
    /// On registration: the member's profile sealed under their own key (base64), the only
    /// personal payload in the journal. Erasing the key makes it unreadable everywhere
    /// (crypto-shredding); the reducer never reads it.
    public var sealed: String?
    public init(member: MemberID, sealed: String? = nil) {
        self.member = member
        self.sealed = sealed
    }
}

public struct CredentialRef: Codable, Equatable, Sendable {
    public var credential: CredentialID
    public init(credential: CredentialID) { self.credential = credential }
}

public struct BookingRef: Codable, Equatable, Sendable {
    public var booking: BookingID
    public init(booking: BookingID) { self.booking = booking }
}

public struct SessionRef: Codable, Equatable, Sendable {
    public var session: SessionID
    public init(session: SessionID) { self.session = session }
}

public struct DoorRef: Codable, Equatable, Sendable {
    public var door: DoorID
    public init(door: DoorID) { self.door = door }
}

public struct PlanGranted: Codable, Equatable, Sendable {
    public var member: MemberID
    public var plan: Plan
    public init(member: MemberID, plan: Plan) {
        self.member = member
        self.plan = plan
    }
}

public struct PlanEnded: Codable, Equatable, Sendable {
    public var member: MemberID
    public var plan: PlanID
    /// When it stops holding (a plan ended before it began never holds).
    public var at: Instant
    /// Who ended it.
    public var by: String
    public init(member: MemberID, plan: PlanID, at: Instant, by: String) {
        self.member = member
        self.plan = plan
        self.at = at
        self.by = by
    }
}

/// Why a frame from a reader decoded to no card.
public enum FrameFault: String, Codable, Sendable {
    case parity
    case unknownLength = "unknown-length"
}

public struct BadgePresented: Codable, Equatable, Sendable {
    public var door: DoorID
    /// nil when the frame failed to decode (parity, unknown length).
    public var token: CredentialToken?
    public var format: WiegandFormat?
    /// Why the frame could not be decoded, with its raw bits, when it could not.
    public var unreadable: String?
    public var fault: FrameFault?
    /// The card's network token (keyed with the network's shared secret), when the site is in
    /// a network: how a visitor's badge is matched to their home site's record.
    public var network: CredentialToken?

    public init(
        door: DoorID, token: CredentialToken?, format: WiegandFormat?, unreadable: String? = nil,
        fault: FrameFault? = nil, network: CredentialToken? = nil
    ) {
        self.door = door
        self.token = token
        self.format = format
        self.unreadable = unreadable
        self.fault = fault
        self.network = network
    }
}

public struct PINEntered: Codable, Equatable, Sendable {
    public var door: DoorID
    /// Keyed digest of the PIN bound to the badge read just before (see `CredentialTokenizer`).
    public var digest: String
    public init(door: DoorID, digest: String) {
        self.door = door
        self.digest = digest
    }
}

public struct RemoteUnlock: Codable, Equatable, Sendable {
    public var door: DoorID
    /// Who asked (a staff account, or `cli` with the operator's user name).
    public var by: String
    public var reason: String
    public init(door: DoorID, by: String, reason: String) {
        self.door = door
        self.by = by
        self.reason = reason
    }
}

public struct PresenceCleared: Codable, Equatable, Sendable {
    public var member: MemberID
    /// Who did (`staff:alice`, `cli:root`).
    public var by: String
    public init(member: MemberID, by: String) {
        self.member = member
        self.by = by
    }
}

public struct CredentialPIN: Codable, Equatable, Sendable {
    public var credential: CredentialID
    /// Keyed digest of the PIN; nil removes it.
    public var digest: String?
    public init(credential: CredentialID, digest: String?) {
        self.credential = credential
        self.digest = digest
    }
}

public struct DoorContact: Codable, Equatable, Sendable {
    public var door: DoorID
    public var open: Bool
    public init(door: DoorID, open: Bool) {
        self.door = door
        self.open = open
    }
}

/// A desk sensor's observation. From a node: its seq and uptime (ordering, reboots), firmware
/// and signal; from a wired line: the debounced level only.
public struct ReaderFault: Codable, Equatable, Sendable {
    public var door: DoorID
    /// True when the reader stopped working, false when it works again.
    public var failing: Bool
    /// What the GPIO adapter said (one line).
    public var detail: String
    public init(door: DoorID, failing: Bool, detail: String) {
        self.door = door
        self.failing = failing
        self.detail = detail
    }
}

public struct WiredSensorFault: Codable, Equatable, Sendable {
    /// The wired desks whose lines failed.
    public var desks: [DeskID]
    /// What the GPIO adapter said (one line).
    public var detail: String
    public init(desks: [DeskID], detail: String) {
        self.desks = desks
        self.detail = detail
    }
}

public struct DeskReport: Codable, Equatable, Sendable {
    public var desk: DeskID
    public var occupied: Bool
    public var seq: Int64?
    public var uptimeS: Int64?
    public var fw: String?
    public var rssi: Int?
    public init(
        desk: DeskID, occupied: Bool, seq: Int64? = nil, uptimeS: Int64? = nil, fw: String? = nil, rssi: Int? = nil
    ) {
        self.desk = desk
        self.occupied = occupied
        self.seq = seq
        self.uptimeS = uptimeS
        self.fw = fw
        self.rssi = rssi
    }
}

/// A room sensor node's observation (the same reading as a desk node's).
public struct RoomReport: Codable, Equatable, Sendable {
    public var room: RoomID
    public var occupied: Bool
    public var seq: Int64?
    public var uptimeS: Int64?
    public var fw: String?
    public var rssi: Int?
    public init(
        room: RoomID, occupied: Bool, seq: Int64? = nil, uptimeS: Int64? = nil, fw: String? = nil, rssi: Int? = nil
    ) {
        self.room = room
        self.occupied = occupied
        self.seq = seq
        self.uptimeS = uptimeS
        self.fw = fw
        self.rssi = rssi
    }
}

/// Contradicting reports for one desk or room: how many were refused in the window.
public struct SensorConflict: Codable, Equatable, Sendable {
    public var desk: DeskID?
    public var room: RoomID?
    public var refused: Int
    public init(_ place: SensedPlace, refused: Int) {
        switch place {
        case .desk(let id): desk = id
        case .room(let id): room = id
        }
        self.refused = refused
    }

    /// The place concerned (a desk unless a room is named).
    public var place: SensedPlace? { room.map { .room($0) } ?? desk.map { .desk($0) } }
}

public struct NodeStatus: Codable, Equatable, Sendable {
    public var node: NodeID
    public var online: Bool
    public init(node: NodeID, online: Bool) {
        self.node = node
        self.online = online
    }
}

/// What a timer is for. Journaled as a string such as `relock:front`.
public enum TimerID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A door's timers measure a duration (a pulse, a door held open, a PIN's wait): the edge
    /// runs them on the monotonic clock, so a step of the wall clock neither delays nor advances
    /// them. Sensor and booking timers follow the calendar (the wall clock).
    public var measuresDuration: Bool {
        switch self {
        case .relock, .heldOpen, .denials, .pin: true
        case .desk, .room, .booking: false
        }
    }

    /// Lock a door again at the end of its unlock pulse.
    case relock(DoorID)
    /// Check whether a door opened then is still open.
    case heldOpen(DoorID)
    /// Clear the repeated-denials alarm once the reader has been quiet for the window.
    case denials(DoorID)
    /// Give up waiting for the PIN after a badge.
    case pin(DoorID)
    /// Settle a desk's pending change, or find its node silent.
    case desk(DeskID)
    /// Settle a room sensor's pending change, or find its node silent.
    case room(RoomID)
    /// A booking's checkpoint (start, end of the no-show grace, end): reconcile it.
    case booking(BookingID)

    public var description: String {
        switch self {
        case .relock(let d): "relock:\(d)"
        case .heldOpen(let d): "held-open:\(d)"
        case .denials(let d): "denials:\(d)"
        case .pin(let d): "pin:\(d)"
        case .desk(let d): "desk:\(d)"
        case .room(let r): "room:\(r)"
        case .booking(let b): "booking:\(b)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        let door = DoorID(parts.count == 2 ? parts[1] : "")
        switch parts.count == 2 ? parts[0] : "" {
        case "relock": self = .relock(door)
        case "held-open": self = .heldOpen(door)
        case "denials": self = .denials(door)
        case "pin": self = .pin(door)
        case "desk": self = .desk(DeskID(door.rawValue))
        case "room": self = .room(RoomID(door.rawValue))
        case "booking": self = .booking(BookingID(door.rawValue))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "timer \(s)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Where an event came from (`door:front`, `cli`, `sensor:node-3`, `timer`, `daemon`, `staff:alice`).
public struct EventSource: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(_ s: String) { rawValue = s }
    public init(stringLiteral s: String) { rawValue = s }
    public var description: String { rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// One journal row: an event with its sequence number, timestamps and source.
public struct JournalEntry: Equatable, Sendable {
    /// Monotonic, gap-free sequence number within the site.
    public var seq: Int64
    public var site: SiteID
    /// Wall-clock time the event was taken in (the reducer's `now`).
    public var wall: Instant
    /// CLOCK_MONOTONIC nanoseconds at intake (orders events across wall-clock steps).
    public var monotonicNanos: UInt64
    public var source: EventSource
    public var event: Event
    /// The access decision taken on this event, as the door took it (set at intake; the
    /// store keeps it in `access_log`, not in the journal row, which holds inputs only).
    public var access: AccessRecord?

    public init(
        seq: Int64, site: SiteID, wall: Instant, monotonicNanos: UInt64, source: EventSource, event: Event,
        access: AccessRecord? = nil
    ) {
        self.seq = seq
        self.site = site
        self.wall = wall
        self.monotonicNanos = monotonicNanos
        self.source = source
        self.event = event
        self.access = access
    }

    /// Site-scoped, globally unique event id (`paris/1234`).
    public var id: String { "\(site)/\(seq)" }
}
