// Sensors in the core: where a desk's or a room's occupancy comes from, the rules
// (hysteresis, silence, report age), which node reports are taken in (duplicates,
// reordering, reboots, staleness) and how reports, node status and timers move the state
// of a sensed place. Pure.

import CantineProtocol

/// Where a desk's occupancy comes from. Journaled as `node:<id>` or `wired`.
public enum DeskSensor: Codable, Equatable, Hashable, Sendable {
    /// A sensor node on MQTT reporting on `desks/<desk>/report`.
    case node(NodeID)
    /// A sensor wired to a GPIO line of the daemon's board.
    case wired

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if text == "wired" {
            self = .wired
        } else if text.hasPrefix("node:") {
            self = .node(NodeID(String(text.dropFirst(5))))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "sensor \(text)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .node(let id): try c.encode("node:\(id)")
        case .wired: try c.encode("wired")
        }
    }
}

/// How sensor observations become desk states.
public struct SensorRules: Codable, Equatable, Sendable {
    /// Presence must hold this long before a desk shows occupied (a passer-by does not count).
    public var occupiedAfter: Span = .seconds(5)
    /// Absence must hold this long before a desk shows vacant (a coffee break keeps the desk).
    public var vacantAfter: Span = .seconds(120)
    /// A node silent this long makes its desk unknown (nodes report at least every minute).
    public var silentAfter: Span = .seconds(180)
    /// A report older than this when it arrives is ignored.
    public var maxReportAge: Span = .seconds(120)
    /// A badge-in older than this no longer counts as someone present (nobody badges out at night).
    public var presenceTTL: Span = .seconds(14 * 3600)

    public init() {}

    enum CodingKeys: String, CodingKey { case occupiedAfter, vacantAfter, silentAfter, maxReportAge, presenceTTL }

    /// Every key is optional: rules journaled by an older version decode with today's defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        occupiedAfter = try c.decodeIfPresent(Span.self, forKey: .occupiedAfter) ?? occupiedAfter
        vacantAfter = try c.decodeIfPresent(Span.self, forKey: .vacantAfter) ?? vacantAfter
        silentAfter = try c.decodeIfPresent(Span.self, forKey: .silentAfter) ?? silentAfter
        maxReportAge = try c.decodeIfPresent(Span.self, forKey: .maxReportAge) ?? maxReportAge
        presenceTTL = try c.decodeIfPresent(Span.self, forKey: .presenceTTL) ?? presenceTTL
    }
}

/// Why a node's report was not taken in. The raw value is the metric label.
public enum ReportRefusal: String, Sendable, CaseIterable {
    /// The topic names a desk the layout does not have.
    case unknownDesk = "unknown_desk"
    /// The topic names a room the layout does not have.
    case unknownRoom = "unknown_room"
    /// The desk's or room's sensor is wired (or it has none): no node may report for it.
    case notANodeDesk = "not_a_node_desk"
    /// The same report again (a QoS 1 redelivery).
    case duplicate
    /// Older than a report already taken in from the same boot of the node.
    case outOfOrder = "out_of_order"
    /// Older than `maxReportAge` by the node's own clock.
    case stale
}

/// A node as last heard of (for staff: firmware, signal, last report).
public struct NodeState: Codable, Equatable, Sendable {
    /// From `nodes/<node>/status` (its last will says offline); nil until it says.
    public var online: Bool?
    public var fw: String?
    public var rssi: Int?
    public var lastSeen: Instant?
    public init() {}
}

extension Occupancy {
    init(_ stable: Bool?) { self = stable.map { $0 ? .occupied : .vacant } ?? .unknown }
    var stable: Bool? { self == .unknown ? nil : self == .occupied }
}

extension DeskState {
    /// The hysteresis over this desk's observations under `rules`.
    func hysteresis(_ rules: SensorRules) -> OccupancyHysteresis<Int64> {
        OccupancyHysteresis(
            occupyAfter: rules.occupiedAfter.micros, releaseAfter: rules.vacantAfter.micros, stable: occupancy.stable,
            pending: pending, pendingSince: pendingSince?.micros ?? 0)
    }

    /// Stores `h` back; true when the shown occupancy changed.
    mutating func store(_ h: OccupancyHysteresis<Int64>, at now: Instant) -> Bool {
        pending = h.pending
        pendingSince = h.pending == nil ? nil : Instant(micros: h.pendingSince)
        let new = Occupancy(h.stable)
        guard new != occupancy else { return false }
        occupancy = new
        since = now
        changes = (changes + [now]).suffix(16)
        return true
    }

    /// Forgets the observations (node offline or silent): the desk shows unknown.
    mutating func forget(at now: Instant) -> Bool {
        pending = nil
        pendingSince = nil
        guard occupancy != .unknown else { return false }
        occupancy = .unknown
        since = now
        return true
    }
}

/// A place a sensor watches: a desk, or a meeting room with an occupancy sensor.
public enum SensedPlace: Hashable, Sendable {
    case desk(DeskID)
    case room(RoomID)

    /// The notice of a change of what the place shows.
    var changed: Notice {
        switch self {
        case .desk(let id): .deskChanged(id)
        case .room(let id): .roomChanged(id)
        }
    }

    /// The timer that settles the place's pending change or finds its node silent.
    var timer: TimerID {
        switch self {
        case .desk(let id): .desk(id)
        case .room(let id): .room(id)
        }
    }
}

/// What a sensor says, from a node (with its seq, uptime, firmware and signal) or a wired line.
public protocol SensorObservation: Sendable {
    var place: SensedPlace { get }
    var occupied: Bool { get }
    var seq: Int64? { get }
    var uptimeS: Int64? { get }
    var fw: String? { get }
    var rssi: Int? { get }
}

extension DeskReport: SensorObservation {
    public var place: SensedPlace { .desk(desk) }
}

extension RoomReport: SensorObservation {
    public var place: SensedPlace { .room(room) }
}

extension Event {
    /// The sensor observation this event carries (desk and room reports).
    public var observation: (any SensorObservation)? {
        switch self {
        case .deskReported(let r): r
        case .roomReported(let r): r
        default: nil
        }
    }
}

extension State {
    /// The sensed state of a place (nil: no such place, or a room without a sensor).
    public subscript(sensed place: SensedPlace) -> DeskState? {
        get {
            switch place {
            case .desk(let id): desks[id]
            case .room(let id): rooms[id]
            }
        }
        set {
            switch place {
            case .desk(let id): desks[id] = newValue
            case .room(let id): rooms[id] = newValue
            }
        }
    }
}

extension SiteLayout {
    /// The sensor of a place, if the layout has the place and it has a sensor (a desk's state
    /// exists even without one: the layout's desks all take reports).
    func sensor(of place: SensedPlace) -> DeskSensor? {
        switch place {
        case .desk(let id): desk(id)?.sensor
        case .room(let id): rooms.first { $0.id == id }?.sensor
        }
    }

    /// Every sensed place and its sensor: the desks, then the rooms that have a sensor.
    var sensedPlaces: [(place: SensedPlace, sensor: DeskSensor)] {
        desks.compactMap { d in d.sensor.map { (.desk(d.id), $0) } }
            + rooms.compactMap { r in r.sensor.map { (.room(r.id), $0) } }
    }
}

public enum SensorPolicy {
    /// Whether a node's report for a desk or room is taken in at `now`, or why not. A report
    /// with a lower uptime than the last one comes from a reboot when the node cannot have been
    /// up since that last report; otherwise reports of one boot are ordered by (uptime, seq).
    /// `heard`: the place's heartbeat taken in and not yet journaled (the last report, then).
    public static func admit(
        _ report: some SensorObservation, in state: State, now: Instant, heard: Heartbeat? = nil
    ) -> ReportRefusal? {
        guard let layout = state.layout else { return .unknownDesk }
        switch report.place {
        case .desk(let id): if layout.desk(id) == nil { return .unknownDesk }
        case .room(let id): if !layout.rooms.contains(where: { $0.id == id }) { return .unknownRoom }
        }
        guard case .node = layout.sensor(of: report.place) else { return .notANodeDesk }
        guard let seq = report.seq, let uptime = report.uptimeS, let last = state[sensed: report.place],
            let lastSeq = heard?.seq ?? last.lastSeq, let lastUptime = heard?.uptimeS ?? last.lastUptime,
            let lastAt = heard?.at ?? last.lastReportAt
        else { return nil }
        let rebooted = uptime < lastUptime && Span.seconds(uptime) <= Span(micros: (now - lastAt).micros + 5_000_000)
        if rebooted { return nil }
        if (uptime, seq) == (lastUptime, lastSeq) { return .duplicate }
        if (uptime, seq) < (lastUptime, lastSeq) { return .outOfOrder }
        // When the node sent it, by its uptime against the last report's.
        let sent = lastAt + .seconds(uptime - lastUptime)
        if now - sent > layout.sensors.maxReportAge { return .stale }
        return nil
    }
}

extension Reducer {
    /// A desk's or room's sensor observed presence or absence.
    static func sensed(_ s: inout State, _ report: some SensorObservation, now: Instant) -> [Effect] {
        let place = report.place
        guard var sensed = s[sensed: place], let layout = s.layout
        else { return [] }
        sensed.lastReportAt = now
        if let seq = report.seq, let uptime = report.uptimeS {
            sensed.lastSeq = seq
            sensed.lastUptime = uptime
        }
        if case .node(let node) = layout.sensor(of: place) {
            var info = s.nodes[node] ?? NodeState()
            info.lastSeen = now
            if let fw = report.fw { info.fw = fw }
            if let rssi = report.rssi { info.rssi = rssi }
            s.nodes[node] = info
        }
        var h = sensed.hysteresis(layout.sensors)
        _ = h.observe(report.occupied, at: now.micros)
        let changed = sensed.store(h, at: now)
        s[sensed: place] = sensed
        return sensedEffects(s, place, changed: changed)
    }

    static func nodeStatus(_ s: inout State, _ status: NodeStatus, now: Instant) -> [Effect] {
        s.nodes[status.node, default: NodeState()].online = status.online
        guard !status.online, let layout = s.layout else { return [] }
        var effects: [Effect] = []
        for (place, sensor) in layout.sensedPlaces where sensor == .node(status.node) {
            if s[sensed: place]?.forget(at: now) == true {
                effects += [.notify(place.changed), .notify(.occupancyChanged)]
            }
        }
        return effects
    }

    /// Wired lines that failed: their desks are unknown (not free, not occupied) until the
    /// lines are read again, which reports them afresh.
    static func wiredSensorFault(_ s: inout State, _ fault: WiredSensorFault, now: Instant) -> [Effect] {
        guard let layout = s.layout else { return [] }
        var effects: [Effect] = []
        for desk in fault.desks where layout.desk(desk)?.sensor == .wired {
            if s[sensed: .desk(desk)]?.forget(at: now) == true {
                effects += [.notify(SensedPlace.desk(desk).changed), .notify(.occupancyChanged)]
            }
        }
        return effects
    }

    /// Contradicting reports for a place: remembered for the reconciler (a sensor finding).
    static func sensorConflict(_ s: inout State, _ conflict: SensorConflict, now: Instant) -> [Effect] {
        guard let place = conflict.place, var sensed = s[sensed: place] else { return [] }
        let window = s.reconcileRules.flappingWindow
        if sensed.conflictAt.map({ now - $0 >= window }) ?? true { sensed.conflictSince = now }
        sensed.conflictAt = now
        s[sensed: place] = sensed
        return []
    }

    /// A sensed place's timer: a pending change held long enough, or a node silent too long.
    static func sensedTimer(_ s: inout State, _ place: SensedPlace, now: Instant) -> [Effect] {
        guard var sensed = s[sensed: place], let layout = s.layout
        else { return [] }
        var h = sensed.hysteresis(layout.sensors)
        _ = h.advance(to: now.micros)
        var changed = sensed.store(h, at: now)
        if case .node = layout.sensor(of: place), sensed.occupancy != .unknown || sensed.pending != nil,
            let last = sensed.lastReportAt, last + layout.sensors.silentAfter <= now
        {
            changed = sensed.forget(at: now) || changed
        }
        s[sensed: place] = sensed
        return sensedEffects(s, place, changed: changed)
    }

    /// Notices of a changed place and the next time its timer must look at it.
    static func sensedEffects(_ s: State, _ place: SensedPlace, changed: Bool) -> [Effect] {
        var effects: [Effect] = changed ? [.notify(place.changed), .notify(.occupancyChanged)] : []
        guard let sensed = s[sensed: place], let layout = s.layout
        else { return effects }
        var next = sensed.hysteresis(layout.sensors).deadline.map { Instant(micros: $0) }
        if case .node = layout.sensor(of: place), sensed.occupancy != .unknown || sensed.pending != nil,
            let last = sensed.lastReportAt
        {
            let silent = last + layout.sensors.silentAfter
            next = min(next ?? silent, silent)
        }
        if let next { effects.append(.schedule(place.timer, at: next)) }
        return effects
    }
}
