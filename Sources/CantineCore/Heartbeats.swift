// Heartbeats: a node reports at least once a minute even when nothing changed, and at 500
// desks that is 720,000 reports a day — an SD card's budget spent on "still the same". A
// report that repeats what its place already shows is taken in at once for admission (the
// next report is judged against it) but journaled with the others of its minute as one
// `sensor.heartbeats` entry, before anything that could depend on it (the place's timer).
// Replay applies the batch exactly as live did: what the state holds of a heartbeat (when it
// arrived, seq, uptime, signal) is what the batch carries. Pure.

/// A node's report that repeated its place's last reading: taken in, not yet journaled.
public struct Heartbeat: Equatable, Sendable {
    public var place: SensedPlace
    public var occupied: Bool
    public var seq: Int64
    public var uptimeS: Int64
    /// When it arrived (the site's time).
    public var at: Instant
    public var rssi: Int?

    public init(place: SensedPlace, occupied: Bool, seq: Int64, uptimeS: Int64, at: Instant, rssi: Int? = nil) {
        self.place = place
        self.occupied = occupied
        self.seq = seq
        self.uptimeS = uptimeS
        self.at = at
        self.rssi = rssi
    }
}

/// Heartbeats journaled together. Compact on purpose (it is most of a large site's journal):
/// `{"from":µs,"desks":[[id,occupied 0/1,seq,uptime_s,ms after from,rssi|null]],"rooms":[…]}`.
public struct HeartbeatBatch: Codable, Equatable, Sendable {
    public var beats: [Heartbeat]

    /// Arrival times are kept to the millisecond (as journaled), and the beats in one order
    /// (by arrival, then place), so live and replay agree.
    public init(_ beats: [Heartbeat]) {
        let from = beats.map(\.at).min() ?? Instant(micros: 0)
        self.beats = beats.map {
            var beat = $0
            beat.at = Instant(micros: from.micros + ($0.at.micros - from.micros) / 1000 * 1000)
            return beat
        }.sorted { ($0.at, "\($0.place)") < ($1.at, "\($1.place)") }
    }

    enum CodingKeys: String, CodingKey { case from, desks, rooms }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let from = try c.decode(Instant.self, forKey: .from)
        func read(_ key: CodingKeys, _ place: (String) -> SensedPlace) throws -> [Heartbeat] {
            guard c.contains(key) else { return [] }
            var list = try c.nestedUnkeyedContainer(forKey: key)
            var out: [Heartbeat] = []
            while !list.isAtEnd {
                var row = try list.nestedUnkeyedContainer()
                let id = try row.decode(String.self)
                let occupied = try row.decode(Int.self) != 0
                let seq = try row.decode(Int64.self)
                let uptime = try row.decode(Int64.self)
                let ms = try row.decode(Int64.self)
                let rssi = try row.decodeNil() ? nil : try row.decode(Int.self)
                let (micros, over) = ms.multipliedReportingOverflow(by: 1000)
                let (at, past) = from.micros.addingReportingOverflow(micros)
                guard ms >= 0, !over, !past else {
                    throw DecodingError.dataCorruptedError(in: row, debugDescription: "heartbeat offset \(ms) ms")
                }
                out.append(
                    Heartbeat(
                        place: place(id), occupied: occupied, seq: seq, uptimeS: uptime, at: Instant(micros: at),
                        rssi: rssi))
            }
            return out
        }
        self.init(try read(.desks) { .desk(DeskID($0)) } + read(.rooms) { .room(RoomID($0)) })
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let from = beats.map(\.at).min() ?? Instant(micros: 0)
        try c.encode(from, forKey: .from)
        var desks = c.nestedUnkeyedContainer(forKey: .desks)
        var rooms = c.nestedUnkeyedContainer(forKey: .rooms)
        for beat in beats {
            var row: UnkeyedEncodingContainer
            switch beat.place {
            case .desk(let id):
                row = desks.nestedUnkeyedContainer()
                try row.encode(id.rawValue)
            case .room(let id):
                row = rooms.nestedUnkeyedContainer()
                try row.encode(id.rawValue)
            }
            try row.encode(beat.occupied ? 1 : 0)
            try row.encode(beat.seq)
            try row.encode(beat.uptimeS)
            try row.encode((beat.at.micros - from.micros) / 1000)
            if let rssi = beat.rssi { try row.encode(rssi) } else { try row.encodeNil() }
        }
    }
}

/// The heartbeats taken in and not yet journaled: the latest of each place.
public struct HeartbeatBuffer: Sendable {
    /// How long a heartbeat may wait to be journaled (well inside `SensorRules.silentAfter`;
    /// a place's timer coming due journals its heartbeat first anyway).
    public static let maxWait = Span.seconds(60)

    var beats: [SensedPlace: Heartbeat] = [:]
    /// When the first heartbeat since the last batch was taken in.
    var since: Instant?

    public init() {}

    public subscript(place: SensedPlace) -> Heartbeat? { beats[place] }
    public var isEmpty: Bool { beats.isEmpty }

    mutating func absorb(_ beat: Heartbeat) {
        beats[beat.place] = beat
        if since == nil { since = beat.at }
    }

    /// A report of `place` was journaled: its heartbeat is older news.
    mutating func drop(_ place: SensedPlace) { beats[place] = nil }

    /// Whether the batch must be journaled before `event` at `now`: a heartbeat has waited
    /// `maxWait`, or `event` is the timer of a place with a heartbeat waiting (its silence is
    /// judged on when the place was last heard).
    func due(before event: Event?, now: Instant) -> Bool {
        guard !beats.isEmpty else { return false }
        // Waited long enough, or the clock was stepped back past the first (it may be an hour).
        if let since, now - since >= Self.maxWait || now < since { return true }
        switch event {
        case .timerFired(.desk(let id))?: return beats[.desk(id)] != nil
        case .timerFired(.room(let id))?: return beats[.room(id)] != nil
        default: return false
        }
    }

    /// The batch to journal, in a stable order; empties the buffer.
    mutating func take() -> HeartbeatBatch? {
        defer {
            beats = [:]
            since = nil
        }
        guard !beats.isEmpty else { return nil }
        return HeartbeatBatch(Array(beats.values))
    }
}

extension SensorPolicy {
    /// The heartbeat `report` is, if it only repeats what its place last read (same reading,
    /// same boot, same firmware): nil for anything that must be journaled on its own — a
    /// change, a place not yet known, a report without seq and uptime, a reboot. Call it on an
    /// admitted report; `heard` is the place's heartbeat waiting to be journaled, if any.
    public static func heartbeat(
        _ report: some SensorObservation, in state: State, heard: Heartbeat?, now: Instant
    ) -> Heartbeat? {
        guard let seq = report.seq, let uptime = report.uptimeS, let sensed = state[sensed: report.place],
            case .node(let node)? = state.layout?.sensor(of: report.place),
            let last = heard.map({ ($0.seq, $0.uptimeS) })
                ?? sensed.lastSeq.flatMap({ s in sensed.lastUptime.map { (s, $0) } }),
            let reading = sensed.pending ?? sensed.occupancy.stable
        else { return nil }
        guard reading == report.occupied, (uptime, seq) > (last.1, last.0),
            report.fw == nil || report.fw == state.nodes[node]?.fw
        else { return nil }
        return Heartbeat(
            place: report.place, occupied: report.occupied, seq: seq, uptimeS: uptime, at: now, rssi: report.rssi)
    }
}

extension Reducer {
    /// A batch of heartbeats: each place was heard (when, seq, uptime, signal), its reading
    /// unchanged; its silence is judged from then. A heartbeat the node sent before the last
    /// report taken in (by its uptime and seq, not the wall clock, which may have been stepped)
    /// is passed over.
    static func heartbeats(_ s: inout State, _ batch: HeartbeatBatch) -> [Effect] {
        guard let layout = s.layout else { return [] }
        var effects: [Effect] = []
        for beat in batch.beats {
            guard var sensed = s[sensed: beat.place], case .node(let node)? = layout.sensor(of: beat.place),
                (sensed.lastUptime ?? .min, sensed.lastSeq ?? .min) < (beat.uptimeS, beat.seq)
            else { continue }
            sensed.lastReportAt = beat.at
            sensed.lastSeq = beat.seq
            sensed.lastUptime = beat.uptimeS
            s[sensed: beat.place] = sensed
            s.nodes[node, default: NodeState()].lastSeen = beat.at
            if let rssi = beat.rssi { s.nodes[node]?.rssi = rssi }
            effects += sensedEffects(s, beat.place, changed: false)
        }
        return effects
    }
}
