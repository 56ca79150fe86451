// How the floor was used, day by day: a fold of journaled events through the reducer itself
// (so the history shows what the floor showed), integrating occupied desks over time by zone
// and quarter-hour and per desk, and counting the day's peak of people, check-ins, no-shows
// and walk-ins. Pure: the site feeds it journal entries and stores the days it closes.

/// One local day's use of the floor. Seconds are desk-seconds (two desks occupied for an hour
/// are 7,200); no one is named.
public struct DayUsage: Codable, Equatable, Sendable {
    /// The local date, `YYYY-MM-DD`.
    public var day: String
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    public var weekday: Int
    /// The most people inside at once (badged in, or occupied desks when sensors saw more).
    public var peakPeople: Int
    /// Desk-seconds a sensor said occupied.
    public var occupiedSeconds: Int64
    /// Desk-seconds booked (every desk booking not cancelled, no-shows included).
    public var bookedSeconds: Int64
    public var checkIns: Int
    public var noShows: Int
    /// Desks (and rooms) found occupied with no booking.
    public var walkIns: Int
    /// Occupied seconds per desk id (desks never occupied are left out).
    public var desks: [String: Int64]
    /// Per zone id, the occupied desk-seconds in each local quarter-hour (96; on the day
    /// clocks go back, the repeated hour adds into the same quarters).
    public var zones: [String: [Int64]]
    /// False when the fold did not see the whole day (it started from a snapshot taken
    /// during it, or the day is still running).
    public var complete: Bool

    public static let quarters = 96

    enum CodingKeys: String, CodingKey {
        case day, weekday, peakPeople = "peak_people", occupiedSeconds = "occupied_seconds"
        case bookedSeconds = "booked_seconds", checkIns = "check_ins", noShows = "no_shows", walkIns = "walk_ins"
        case desks, zones, complete
    }
}

/// Folds journal entries into `DayUsage`, one local day at a time.
public struct UsageFold: Sendable {
    /// The state after the last entry folded (the reducer's, exactly as replay builds it).
    public private(set) var state: State
    /// The last entry folded.
    public private(set) var seq: Int64
    let calendar: SiteCalendar
    /// The day being folded and its quarter-hour boundaries (97 instants, the last the next
    /// day's start); nil before the first entry.
    var day: LocalDate?
    var bounds: [Instant] = []
    var clock: Instant?
    /// The current day's counters (its seconds are filled in when it closes).
    var usage: DayUsage?
    /// Occupied micro-seconds so far today, per desk and per zone and quarter.
    var deskMicros: [DeskID: Int64] = [:]
    var zoneMicros: [ZoneID: [Int64]] = [:]
    /// Occupied desks and since when (within the current day).
    var occupiedSince: [DeskID: Instant] = [:]
    var zoneOf: [DeskID: ZoneID] = [:]
    var occupiedPerZone: [ZoneID: Int] = [:]
    var quarter = 0
    /// Whether the fold has seen the current day from its start.
    var fromStart: Bool

    /// A fold continuing from `state` (the fold of every entry through `seq`); `seq` 0 is the
    /// journal's beginning, when nothing happened before the first entry.
    public init(state: State, seq: Int64, calendar: SiteCalendar) {
        self.state = state
        self.seq = seq
        self.calendar = calendar
        fromStart = seq == 0
        reindex()
    }

    /// Where a fold stands, without its state: what the site keeps so that a restart resumes
    /// the fold from the state at `seq` (rebuilt from a snapshot) instead of refolding the
    /// whole journal.
    public struct Progress: Codable, Equatable, Sendable {
        /// The last entry folded.
        public var seq: Int64
        var day: LocalDate?
        var clock: Instant?
        var quarter: Int
        var fromStart: Bool
        var usage: DayUsage?
        var deskMicros: [DeskID: Int64]
        var zoneMicros: [ZoneID: [Int64]]
        var occupiedSince: [DeskID: Instant]
    }

    /// Where this fold stands (see `init(state:progress:calendar:)`).
    public var progress: Progress {
        Progress(
            seq: seq, day: day, clock: clock, quarter: quarter, fromStart: fromStart, usage: usage,
            deskMicros: deskMicros, zoneMicros: zoneMicros, occupiedSince: occupiedSince)
    }

    /// The fold as it stood at `progress`, continuing from `state`: the reducer's state after
    /// every entry through `progress.seq`.
    public init(state: State, progress: Progress, calendar: SiteCalendar) {
        self.init(state: state, seq: progress.seq, calendar: calendar)
        fromStart = progress.fromStart
        if let date = progress.day, let clock = progress.clock {
            open(date, at: clock)  // the day's quarter bounds
            quarter = progress.quarter
            usage = progress.usage
            deskMicros = progress.deskMicros
            zoneMicros = progress.zoneMicros
        }
        occupiedSince = progress.occupiedSince
        reindex()
    }

    /// Folds one journal entry; returns the days it closed (none, or more than one after a
    /// silent night or a daemon stopped for days).
    public mutating func apply(_ event: Event, seq: Int64, at wall: Instant) -> [DayUsage] {
        let closed = advance(to: wall)
        let before = state.present.count
        _ = Reducer.apply(&state, event, now: wall)
        self.seq = seq
        switch event {
        case .deskReported(let r): refresh(r.desk, at: wall)
        case .layoutApplied:
            reindex()
            refreshAll(at: wall)
        case .timerFired, .sensorConflict, .nodeStatus, .wiredSensorFault, .daemonStarted, .findingResolved:
            refreshAll(at: wall)
        case .bookingCheckedIn: usage?.checkIns += 1
        case .findingRaised(let f):
            switch f.kind {
            case .noShow: usage?.noShows += 1
            case .walkIn: usage?.walkIns += 1
            default: break
            }
        default: break
        }
        if state.present.count != before || event.changesPresence { notePeople(at: wall) }
        return closed
    }

    /// The current day as folded so far, integrated to `now` (not complete: it is running).
    public func running(at now: Instant) -> DayUsage? {
        var copy = self
        let closed = copy.advance(to: now)
        guard var day = copy.usage else { return closed.last }
        copy.close(at: max(now, copy.clock ?? now), into: &day)
        day.complete = false
        return day
    }

    // MARK: - Integration

    /// Integrates the occupied desks up to `t`, closing every day that ends before it.
    mutating func advance(to t: Instant) -> [DayUsage] {
        var closed: [DayUsage] = []
        if day == nil {
            open(calendar.date(of: t), at: t)
            refreshAll(at: t)  // desks the starting state has occupied
        }
        while let end = bounds.last, t >= end {
            integrate(to: end)
            if var done = usage {
                close(at: end, into: &done)
                done.complete = fromStart
                closed.append(done)
            }
            fromStart = true
            open(calendar.date(of: end), at: end)
        }
        integrate(to: t)
        return closed
    }

    mutating func integrate(to t: Instant) {
        guard var from = clock, t > from else { return }
        while quarter < DayUsage.quarters {
            let edge = min(bounds[quarter + 1], t)
            if edge > from {
                let micros = (edge - from).micros
                for (zone, n) in occupiedPerZone where n > 0 {
                    zoneMicros[zone, default: Self.emptyCurve][quarter] += micros * Int64(n)
                }
                from = edge
            }
            if t < bounds[quarter + 1] { break }
            quarter += 1
        }
        clock = t
    }

    mutating func open(_ date: LocalDate, at t: Instant) {
        day = date
        bounds = (0..<DayUsage.quarters).map { calendar.instant(date, hour: $0 / 4, minute: $0 % 4 * 15) }
        bounds.append(calendar.instant(calendar.adding(days: 1, to: date), hour: 0))
        // A quarter that does not exist (clocks going forward) has the next one's start.
        for i in stride(from: DayUsage.quarters - 1, through: 0, by: -1) where bounds[i] > bounds[i + 1] {
            bounds[i] = bounds[i + 1]
        }
        quarter = bounds.lastIndex { $0 <= t }.map { min($0, DayUsage.quarters - 1) } ?? 0
        clock = t
        usage = DayUsage(
            day: date.description, weekday: calendar.clock(calendar.instant(date, hour: 12)).weekday, peakPeople: 0,
            occupiedSeconds: 0, bookedSeconds: 0, checkIns: 0, noShows: 0, walkIns: 0, desks: [:], zones: [:],
            complete: false)
        deskMicros = [:]
        zoneMicros = [:]
        for desk in occupiedSince.keys { occupiedSince[desk] = t }
        notePeople(at: t)
    }

    /// Ends `day` at `end`: the desks still occupied and the day's bookings counted in.
    func close(at end: Instant, into day: inout DayUsage) {
        var micros = deskMicros
        for (desk, since) in occupiedSince where end > since { micros[desk, default: 0] += (end - since).micros }
        day.desks = Dictionary(micros.map { ($0.key.rawValue, $0.value / 1_000_000) }.filter { $0.1 > 0 }) { a, _ in a }
        day.zones = Dictionary(zoneMicros.map { ($0.key.rawValue, $0.value.map { $0 / 1_000_000 }) }) { a, _ in a }
        day.occupiedSeconds = day.desks.values.reduce(0, +)
        let start = bounds.first ?? end
        let dayEnd = bounds.last ?? end
        var booked: Int64 = 0
        for b in state.bookings.values where b.status != .cancelled {
            guard case .desk = b.resource else { continue }
            let from = max(b.start, start)
            let to = min(b.end, dayEnd)
            if to > from { booked += (to - from).micros }
        }
        day.bookedSeconds = booked / 1_000_000
    }

    // MARK: - What changes at an event

    mutating func refresh(_ desk: DeskID, at t: Instant) {
        guard let zone = zoneOf[desk] else { return }
        let occupied = state.desks[desk]?.occupancy == .occupied
        if occupied, occupiedSince[desk] == nil {
            occupiedSince[desk] = t
            occupiedPerZone[zone, default: 0] += 1
            notePeople(at: t)
        } else if !occupied, let since = occupiedSince.removeValue(forKey: desk) {
            deskMicros[desk, default: 0] += (t - since).micros
            occupiedPerZone[zone, default: 1] -= 1
        }
    }

    mutating func refreshAll(at t: Instant) {
        for desk in zoneOf.keys { refresh(desk, at: t) }
        for desk in Array(occupiedSince.keys) where zoneOf[desk] == nil {
            if let since = occupiedSince.removeValue(forKey: desk) {
                deskMicros[desk, default: 0] += (t - since).micros
            }
        }
    }

    mutating func reindex() {
        zoneOf = Dictionary((state.layout?.desks ?? []).map { ($0.id, $0.zone) }) { a, _ in a }
        occupiedPerZone = [:]
        for desk in occupiedSince.keys { if let z = zoneOf[desk] { occupiedPerZone[z, default: 0] += 1 } }
    }

    mutating func notePeople(at t: Instant) {
        let ttl = state.layout?.sensors.presenceTTL ?? SensorRules().presenceTTL
        let badgedIn = state.present.values.filter { t - $0 < ttl }.count
        let people = max(badgedIn, occupiedSince.count)
        if let peak = usage?.peakPeople, people > peak { usage?.peakPeople = people }
    }

    static let emptyCurve = [Int64](repeating: 0, count: DayUsage.quarters)
}

extension Event {
    /// Events that move someone in or out.
    var changesPresence: Bool {
        switch self {
        case .badgePresented, .pinEntered, .presenceCleared, .visitReported: true
        default: false
        }
    }
}
