// Desk sensors in the core: where a desk's occupancy comes from, the rules (hysteresis,
// silence, report age), which node reports are taken in (duplicates, reordering, reboots,
// staleness) and how reports, node status and timers move a desk's state. Pure.

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
    /// The desk's sensor is wired (or it has none): no node may report for it.
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
    func hysteresis(_ rules: SensorRules) -> OccupancyHysteresis {
        OccupancyHysteresis(
            occupyAfter: rules.occupiedAfter.micros, releaseAfter: rules.vacantAfter.micros, stable: occupancy.stable,
            pending: pending, pendingSince: pendingSince?.micros ?? 0)
    }

    /// Stores `h` back; true when the shown occupancy changed.
    mutating func store(_ h: OccupancyHysteresis, at now: Instant) -> Bool {
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

public enum SensorPolicy {
    /// Whether a node's report for a desk is taken in at `now`, or why not. A report with a
    /// lower uptime than the last one comes from a reboot when the node cannot have been up
    /// since that last report; otherwise reports of one boot are ordered by (uptime, seq).
    public static func admit(_ report: DeskReport, in state: State, now: Instant) -> ReportRefusal? {
        guard let desk = state.layout?.desk(report.desk) else { return .unknownDesk }
        guard desk.node != nil else { return .notANodeDesk }
        guard let seq = report.seq, let uptime = report.uptimeS, let last = state.desks[report.desk],
            let lastSeq = last.lastSeq, let lastUptime = last.lastUptime, let lastAt = last.lastReportAt
        else { return nil }
        let rebooted = uptime < lastUptime && Span.seconds(uptime) <= Span(micros: (now - lastAt).micros + 5_000_000)
        if rebooted { return nil }
        if (uptime, seq) == (lastUptime, lastSeq) { return .duplicate }
        if (uptime, seq) < (lastUptime, lastSeq) { return .outOfOrder }
        // When the node sent it, by its uptime against the last report's.
        let sent = lastAt + .seconds(uptime - lastUptime)
        let rules = state.layout?.sensors ?? SensorRules()
        if now - sent > rules.maxReportAge { return .stale }
        return nil
    }
}

extension Reducer {
    static func deskReported(_ s: inout State, _ report: DeskReport, now: Instant) -> [Effect] {
        guard var desk = s.desks[report.desk], let layout = s.layout, let sensor = layout.desk(report.desk)
        else { return [] }
        desk.lastReportAt = now
        if let seq = report.seq, let uptime = report.uptimeS {
            desk.lastSeq = seq
            desk.lastUptime = uptime
        }
        if let node = sensor.node {
            var info = s.nodes[node] ?? NodeState()
            info.lastSeen = now
            if let fw = report.fw { info.fw = fw }
            if let rssi = report.rssi { info.rssi = rssi }
            s.nodes[node] = info
        }
        var h = desk.hysteresis(layout.sensors)
        _ = h.observe(report.occupied, at: now.micros)
        let changed = desk.store(h, at: now)
        s.desks[report.desk] = desk
        return deskEffects(s, report.desk, changed: changed)
    }

    static func nodeStatus(_ s: inout State, _ status: NodeStatus, now: Instant) -> [Effect] {
        s.nodes[status.node, default: NodeState()].online = status.online
        guard !status.online else { return [] }
        var effects: [Effect] = []
        for desk in s.layout?.desks ?? [] where desk.node == status.node {
            if s.desks[desk.id]?.forget(at: now) == true {
                effects += [.notify(.deskChanged(desk.id)), .notify(.occupancyChanged)]
            }
        }
        return effects
    }

    /// A desk's timer: a pending change held long enough, or a node silent too long.
    static func deskTimer(_ s: inout State, _ id: DeskID, now: Instant) -> [Effect] {
        guard var desk = s.desks[id], let layout = s.layout, let sensor = layout.desk(id) else { return [] }
        var h = desk.hysteresis(layout.sensors)
        _ = h.advance(to: now.micros)
        var changed = desk.store(h, at: now)
        if sensor.node != nil, desk.occupancy != .unknown || desk.pending != nil,
            let last = desk.lastReportAt, last + layout.sensors.silentAfter <= now
        {
            changed = desk.forget(at: now) || changed
        }
        s.desks[id] = desk
        return deskEffects(s, id, changed: changed)
    }

    /// Notices of a changed desk and the next time its timer must look at it.
    static func deskEffects(_ s: State, _ id: DeskID, changed: Bool) -> [Effect] {
        var effects: [Effect] = changed ? [.notify(.deskChanged(id)), .notify(.occupancyChanged)] : []
        guard let desk = s.desks[id], let layout = s.layout, let sensor = layout.desk(id) else { return effects }
        var next = desk.hysteresis(layout.sensors).deadline.map { Instant(micros: $0) }
        if sensor.node != nil, desk.occupancy != .unknown || desk.pending != nil, let last = desk.lastReportAt {
            let silent = last + layout.sensors.silentAfter
            next = min(next ?? silent, silent)
        }
        if let next { effects.append(.schedule(.desk(id), at: next)) }
        return effects
    }
}
