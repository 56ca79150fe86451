// Reconciliation: doors and sensors say who is here and where, bookings say who should be.
// `Reconciler.events` compares them on the state (pure) and proposes events: check-ins,
// findings raised (no-show, walk-in, ghost, overstay, capacity, sensor health) and findings whose
// condition ended. The engine journals them right after the input that caused them, so a
// finding is a journal event with a stable id; staff resolve it, it never goes away silently.

/// What a finding is about.
public enum FindingKind: String, Codable, Sendable, CaseIterable {
    /// A booking not checked in by its deadline: released, its desk or room shown free (for
    /// the rest of that day only, for one day of a multi-day booking).
    case noShow = "no-show"
    /// A desk occupied with no booking, or a room occupied a while with none.
    case walkIn = "walk-in"
    /// A desk occupied while its booker is not inside, or a desk or room while nobody is inside.
    case ghost
    /// A room still occupied past the end of its booking (and its grace).
    case overstay
    /// More people present than the site's fire-safety capacity.
    case capacity
    /// A desk or room sensor gone silent (stale), changing too often (flapping), or whose
    /// reports contradict each other (contradicting: two nodes on one topic?).
    case sensor
}

/// What staff did with a finding.
public enum FindingAction: String, Codable, Sendable, CaseIterable {
    /// It is right and nothing more is needed (e.g. a no-show acknowledged).
    case confirm
    /// Release the desk: cancels the booking behind a ghost (the desk is shown free).
    case release
    /// A walk-in belongs to a member: books the desk for them, checked in, until the day ends.
    case attach
    /// Not a real problem (a bag on a chair, a sensor test).
    case dismiss
}

public enum FindingTag {}
/// Stable id of a finding: its kind, subject and the moment its condition began.
public typealias FindingID = Identifier<FindingTag>

/// One reconciliation finding, shown to staff until they resolve it.
public struct Finding: Codable, Equatable, Sendable {
    public var id: FindingID
    public var kind: FindingKind
    public var desk: DeskID?
    /// The room concerned (overstay, a room's walk-in, ghost or sensor).
    public var room: RoomID?
    public var booking: BookingID?
    /// The member concerned (the booker), by opaque id.
    public var member: MemberID?
    /// Why, in a few words (`member not inside`, `nobody inside`, `stale`, `flapping`, `61 > 60`).
    public var detail: String
    public var raisedAt: Instant
    /// When the condition stopped holding (the finding stays until resolved).
    public var endedAt: Instant?
    public var resolution: FindingResolution?
    /// A no-show of one day of a multi-day booking: its desk is free until then, and the
    /// booking holds again after. nil: the booking is released.
    public var releasedUntil: Instant?

    public init(
        id: FindingID, kind: FindingKind, desk: DeskID? = nil, room: RoomID? = nil, booking: BookingID? = nil,
        member: MemberID? = nil, detail: String, raisedAt: Instant
    ) {
        self.id = id
        self.kind = kind
        self.desk = desk
        self.room = room
        self.booking = booking
        self.member = member
        self.detail = detail
        self.raisedAt = raisedAt
    }

    public var open: Bool { resolution == nil }

    /// How long a resolved finding stays in memory after staff acted.
    public static let keepResolved = Span.seconds(7 * 86_400)
    /// How long an unresolved finding stays once over (ended, or raised for a no-show, which
    /// never ends): a site whose staff never look must not grow without bound.
    public static let keepUnresolved = Span.seconds(30 * 86_400)

    /// Whether the state still holds this finding at `now` (older ones are in the journal).
    /// One whose condition still holds stays until it ends or staff act.
    public func kept(at now: Instant) -> Bool {
        if let resolution { return now - (resolution.at ?? now) < Self.keepResolved }
        guard let over = endedAt ?? (kind == .noShow ? raisedAt : nil) else { return true }
        return now - over < Self.keepUnresolved
    }
}

/// A staff action on a finding.
public struct FindingResolution: Codable, Equatable, Sendable {
    public var finding: FindingID
    public var action: FindingAction
    /// Who resolved it (`staff:alice`, `cli`).
    public var by: String
    /// For `attach`: the member the walk-in belongs to.
    public var member: MemberID?
    public var at: Instant?

    public init(finding: FindingID, action: FindingAction, by: String, member: MemberID? = nil, at: Instant? = nil) {
        self.finding = finding
        self.action = action
        self.by = by
        self.member = member
        self.at = at
    }
}

/// A booking checked in: by the member's badge, or by their desk's sensor.
public struct BookingCheckIn: Codable, Equatable, Sendable {
    public var booking: BookingID
    /// `badge` or `sensor`.
    public var by: String
    public init(booking: BookingID, by: String) {
        self.booking = booking
        self.by = by
    }
}

public struct FindingRef: Codable, Equatable, Sendable {
    public var finding: FindingID
    public init(finding: FindingID) { self.finding = finding }
}

/// How bookings and sensors are reconciled.
public struct ReconcileRules: Codable, Equatable, Sendable {
    /// Check-in deadlines, in minutes after local midnight: a day desk booking, a morning, an
    /// afternoon, each day of a multi-day booking. Members arrive over the morning; a day pass
    /// bought for 08:00 is not lost at 08:30.
    public var dayCheckIn = 11 * 60
    public var morningCheckIn = 10 * 60
    public var afternoonCheckIn = 15 * 60
    public var multiDayCheckIn = 11 * 60
    /// A room slot must be checked in (its sensor, or its booker inside) this long after it starts.
    public var roomCheckIn: Span = .minutes(15)
    /// The check-in time of any other booking (an imported one at its own times), after its
    /// start; and the least time a booking made late has to be checked in.
    public var noShowGrace: Span = .minutes(30)
    /// This many occupancy changes of a desk within `flappingWindow` make its sensor flapping.
    public var flappingChanges: Int = 6
    public var flappingWindow: Span = .minutes(10)
    /// A room still occupied this long after its booking ended is an overstay; a room occupied
    /// this long with no booking is a walk-in (someone fetching a chair is neither).
    public var overstayGrace: Span = .minutes(10)
    public init() {}

    enum CodingKeys: String, CodingKey {
        case noShowGrace, flappingChanges, flappingWindow, overstayGrace, dayCheckIn, morningCheckIn,
            afternoonCheckIn, multiDayCheckIn, roomCheckIn
    }

    /// Every key optional: rules journaled by an older version decode with today's defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        noShowGrace = try c.decodeIfPresent(Span.self, forKey: .noShowGrace) ?? noShowGrace
        flappingChanges = try c.decodeIfPresent(Int.self, forKey: .flappingChanges) ?? flappingChanges
        flappingWindow = try c.decodeIfPresent(Span.self, forKey: .flappingWindow) ?? flappingWindow
        overstayGrace = try c.decodeIfPresent(Span.self, forKey: .overstayGrace) ?? overstayGrace
        dayCheckIn = try c.decodeIfPresent(Int.self, forKey: .dayCheckIn) ?? dayCheckIn
        morningCheckIn = try c.decodeIfPresent(Int.self, forKey: .morningCheckIn) ?? morningCheckIn
        afternoonCheckIn = try c.decodeIfPresent(Int.self, forKey: .afternoonCheckIn) ?? afternoonCheckIn
        multiDayCheckIn = try c.decodeIfPresent(Int.self, forKey: .multiDayCheckIn) ?? multiDayCheckIn
        roomCheckIn = try c.decodeIfPresent(Span.self, forKey: .roomCheckIn) ?? roomCheckIn
    }

    /// The check-in windows of `booking` made at `now`: a room slot's from its start; a desk
    /// booked by the morning, the afternoon or the day (the grid `cantine bookings add` books)
    /// by that period's time, each day of a multi-day one by `multiDayCheckIn`; anything else
    /// `noShowGrace` after its start. A booking made late has the window's length, at most
    /// `noShowGrace`, from when it was made (a desk booked at 12:00 for the day: until 12:30).
    public func checkIns(for booking: Booking, calendar: SiteCalendar, madeAt now: Instant) -> [CheckInWindow] {
        func window(_ from: Instant, _ by: Instant) -> CheckInWindow {
            let length = by - from
            return CheckInWindow(from: from, by: max(by, now + (length < noShowGrace ? length : noShowGrace)))
        }
        let (start, end) = (booking.start, booking.end)
        if case .room = booking.resource { return [window(start, start + roomCheckIn)] }
        let first = calendar.date(of: start)
        let last = calendar.date(of: end - .seconds(1))
        let (from, to) = (calendar.clock(start).minute, calendar.clock(end).minute)
        let (open, midday, close) = (
            SiteCalendar.dayStart * 60, SiteCalendar.midday * 60, SiteCalendar.dayEnd * 60
        )
        func at(_ date: LocalDate, _ minute: Int) -> Instant {
            calendar.instant(date, hour: minute / 60, minute: minute % 60)
        }
        switch (first == last, from, to) {
        case (true, open, midday): return [window(start, at(first, morningCheckIn))]
        case (true, midday, close): return [window(start, at(first, afternoonCheckIn))]
        case (true, open, close): return [window(start, at(first, dayCheckIn))]
        case (false, open, close):
            var out: [CheckInWindow] = []
            var day = first
            while day <= last, out.count <= SiteCalendar.maxDays {
                out.append(window(at(day, open), at(day, multiDayCheckIn)))
                day = calendar.adding(days: 1, to: day)
            }
            return out
        default: return [window(start, start + noShowGrace)]
        }
    }
}

/// What a reconciliation looks at.
public enum ReconcileScope: Equatable, Sendable {
    /// Everything: desks, rooms, bookings, capacity (timer, start, presence changes).
    case all
    /// One desk (its sensor changed).
    case desk(DeskID)
    /// One room (its sensor changed).
    case room(RoomID)
    /// One booking (created, cancelled, or one of its checkpoints came).
    case booking(BookingID)

    /// The scope an applied input calls for, from the input and its effects; nil for none.
    public static func after(_ event: Event, effects: [Effect]) -> ReconcileScope? {
        switch event {
        case .daemonStarted, .layoutApplied, .nodeStatus: return .all
        case .badgePresented, .pinEntered, .exitRequested, .presenceCleared:
            // Presence changed: check-ins, ghosts (nobody inside) and capacity.
            return effects.contains { if case .notify(.occupancyChanged) = $0 { true } else { false } } ? .all : nil
        case .deskReported(let r):
            return effects.contains(.notify(.deskChanged(r.desk))) ? .desk(r.desk) : nil
        case .timerFired(.desk(let id)):
            return effects.contains(.notify(.deskChanged(id))) ? .desk(id) : nil
        case .roomReported(let r):
            return effects.contains(.notify(.roomChanged(r.room))) ? .room(r.room) : nil
        case .sensorConflict(let c):
            switch c.place {
            case .desk(let id): return .desk(id)
            case .room(let id): return .room(id)
            case nil: return nil
            }
        case .timerFired(.room(let id)):
            return effects.contains(.notify(.roomChanged(id))) ? .room(id) : nil
        case .timerFired(.booking(let id)): return .booking(id)
        case .bookingCreated(let b), .bookingChanged(let b): return .booking(b.id)
        case .bookingCancelled(let ref): return .booking(ref.booking)
        default: return nil
        }
    }
}

public enum Reconciler {
    /// The events reconciling `scope` of the state at `now` calls for (empty when all agrees).
    public static func events(_ scope: ReconcileScope, in s: State, now: Instant) -> [Event] {
        guard let layout = s.layout else { return [] }
        let ttl = layout.sensors.presenceTTL
        let present = Presence(all: s.present, ttl: ttl, now: now)
        // Desk bookings in force now, by desk (cancelled and released ones do not count).
        var active: [DeskID: Booking] = [:]
        var desks: [DeskID] = []
        var rooms: [RoomID] = []
        switch scope {
        case .all:
            for b in s.bookings.values where b.isActive(at: now) {
                if case .desk(let d) = b.resource { active[d] = b }
            }
            desks = layout.desks.map(\.id)
            rooms = layout.rooms.map(\.id)
        case .desk(let id):
            for b in s.bookings.values where b.resource == .desk(id) && b.isActive(at: now) { active[id] = b }
            desks = [id]
        case .room(let id):
            rooms = [id]
        case .booking(let id):
            switch s.bookings[id]?.resource {
            case .desk(let desk):
                for b in s.bookings.values where b.resource == .desk(desk) && b.isActive(at: now) { active[desk] = b }
                desks = [desk]
            case .room(let room): rooms = [room]
            case nil: return []
            }
        }
        var out: [Event] = []
        for id in desks {
            out += desk(
                id, booking: active[id], present: present, ongoing: s.findings.ongoing(desk: id), in: s, layout: layout,
                now: now)
        }
        for id in rooms where s.rooms[id] != nil {
            out += room(id, present: present, ongoing: s.findings.ongoing(room: id), in: s, layout: layout, now: now)
        }
        if scope == .all { out += capacity(present: present, in: s, layout: layout, now: now) }
        return out
    }

    /// A room with a sensor: its booking checked in when the room is occupied, an overstay
    /// when it stays occupied past its booking's end, a walk-in (or a ghost, nobody inside)
    /// when it is occupied a while with no booking, and its sensor's health.
    static func room(
        _ id: RoomID, present: Presence, ongoing: [Finding], in s: State, layout: SiteLayout,
        now: Instant
    ) -> [Event] {
        guard let room = s.rooms[id] else { return [] }
        let grace = layout.reconcile.overstayGrace
        let held = s.bookings.values.filter {
            $0.resource == .room(id) && ($0.status == .booked || $0.status == .checkedIn)
        }
        let current = held.filter { $0.start <= now && now < $0.end }.min { $0.id < $1.id }
        var out: [Event] = []
        var expected: Set<FindingID> = []
        func raise(_ f: Finding) {
            expected.insert(f.id)
            if s.findings[f.id] == nil { out.append(.findingRaised(f)) }
        }
        if room.occupancy == .occupied, let since = room.since {
            if let b = current {
                if b.status == .booked { out.append(.bookingCheckedIn(BookingCheckIn(booking: b.id, by: "sensor"))) }
            } else if let last = held.filter({ $0.end <= now }).max(by: { ($0.end, $0.id) < ($1.end, $1.id) }),
                since < last.end
            {
                // Occupied since before the booking ended: the people stayed.
                if now >= last.end + grace {
                    raise(
                        Finding(
                            id: FindingID("overstay.\(last.id)"), kind: .overstay, room: id, booking: last.id,
                            member: last.member,
                            detail: "occupied \(Int((now - last.end).seconds / 60)) min past the end",
                            raisedAt: now))
                }
            } else if now >= since + grace {
                let stamp = "room.\(id).\(since.micros / 1_000_000)"
                raise(
                    present.isEmpty
                        ? Finding(
                            id: FindingID("ghost.\(stamp)"), kind: .ghost, room: id, detail: "nobody inside",
                            raisedAt: now)
                        : Finding(
                            id: FindingID("walk-in.\(stamp)"), kind: .walkIn, room: id, detail: "no booking",
                            raisedAt: now))
            }
        }
        // Not occupied: the booker inside checks the slot in; a room its sensor says is empty
        // past the slot's check-in time is a no-show (an unknown one is never released).
        if room.occupancy != .occupied, let b = current, let (index, window) = b.window(at: now, layout.reconcile),
            b.needsCheckIn(in: window)
        {
            if isInside(b.member, for: window, present: present, layout: layout) {
                out.append(.bookingCheckedIn(BookingCheckIn(booking: b.id, by: "badge")))
            } else if room.occupancy == .vacant, now >= window.by {
                let f = noShow(b, index, window, desk: nil, room: id, layout: layout, now: now)
                if s.findings[f.id] == nil { out.append(.findingRaised(f)) }
            }
        }
        let health = sensorHealth(
            room, subject: "room.\(id)", hasNode: layout.rooms.first { $0.id == id }?.node != nil, desk: nil,
            room: id, ongoing: ongoing, in: s, rules: layout.reconcile, now: now)
        out += health.events
        expected.formUnion(health.expected)
        for f in ongoing where f.kind != .noShow && f.detail != "flapping" && !expected.contains(f.id) {
            out.append(.findingEnded(FindingRef(finding: f.id)))
        }
        return out
    }

    /// Sensor health of a sensed place: stale (a node's place unknown since a known time),
    /// flapping (too many changes in the window; ends once it has settled) or contradicting
    /// (reports refused as out of order kept coming within the window). Returns the events and
    /// the ids of the findings whose condition holds.
    static func sensorHealth(
        _ sensed: DeskState, subject: String, hasNode: Bool, desk: DeskID?, room: RoomID?, ongoing: [Finding],
        in s: State, rules: ReconcileRules, now: Instant
    ) -> (events: [Event], expected: Set<FindingID>) {
        var out: [Event] = []
        var expected: Set<FindingID> = []
        if sensed.occupancy == .unknown, let since = sensed.since, hasNode {
            let f = Finding(
                id: FindingID("sensor.\(subject).stale.\(since.micros / 1_000_000)"), kind: .sensor, desk: desk,
                room: room, detail: "stale", raisedAt: now)
            expected.insert(f.id)
            if s.findings[f.id] == nil { out.append(.findingRaised(f)) }
        }
        let recent = sensed.changes.filter { now - $0 < rules.flappingWindow }
        let flapping = ongoing.first { $0.detail == "flapping" }
        if recent.count >= rules.flappingChanges, let first = recent.first {
            let fid = flapping?.id ?? FindingID("sensor.\(subject).flapping.\(first.micros / 1_000_000)")
            expected.insert(fid)
            if flapping == nil {
                out.append(
                    .findingRaised(
                        Finding(id: fid, kind: .sensor, desk: desk, room: room, detail: "flapping", raisedAt: now)))
            }
        } else if let flapping, recent.count <= 1 {
            out.append(.findingEnded(FindingRef(finding: flapping.id)))
        }
        if let since = sensed.conflictSince, let last = sensed.conflictAt, now - last < rules.flappingWindow {
            let f = Finding(
                id: FindingID("sensor.\(subject).contradicting.\(since.micros / 1_000_000)"), kind: .sensor,
                desk: desk, room: room, detail: "contradicting", raisedAt: now)
            expected.insert(f.id)
            if s.findings[f.id] == nil { out.append(.findingRaised(f)) }
        }
        return (out, expected)
    }

    static func desk(
        _ id: DeskID, booking: Booking?, present: Presence, ongoing: [Finding], in s: State,
        layout: SiteLayout, now: Instant
    ) -> [Event] {
        guard let desk = s.desks[id] else { return [] }
        var out: [Event] = []
        let occupied = desk.occupancy == .occupied
        var booking = booking
        if let b = booking, let (index, window) = b.window(at: now, layout.reconcile), b.needsCheckIn(in: window) {
            if occupied || isInside(b.member, for: window, present: present, layout: layout) {
                out.append(.bookingCheckedIn(BookingCheckIn(booking: b.id, by: occupied ? "sensor" : "badge")))
                booking?.status = .checkedIn
            } else if now >= window.by {
                let f = noShow(b, index, window, desk: id, room: nil, layout: layout, now: now)
                if s.findings[f.id] == nil { out.append(.findingRaised(f)) }
                booking = nil
            }
        }

        // What an occupied desk means, given its booking and who is inside.
        var expected: Set<FindingID> = []
        if occupied, let since = desk.since {
            let stamp = "\(id).\(since.micros / 1_000_000)"
            var finding: Finding?
            if let b = booking {
                if present[b.member] == nil {
                    finding = Finding(
                        id: FindingID("ghost.\(stamp)"), kind: .ghost, desk: id, booking: b.id, member: b.member,
                        detail: "member not inside", raisedAt: now)
                }
            } else if present.isEmpty {
                finding = Finding(
                    id: FindingID("ghost.\(stamp)"), kind: .ghost, desk: id, detail: "nobody inside", raisedAt: now)
            } else {
                finding = Finding(
                    id: FindingID("walk-in.\(stamp)"), kind: .walkIn, desk: id, detail: "no booking", raisedAt: now)
            }
            // Not while the sensor is confirming a vacancy: its member is leaving (they badge
            // out before the desk's `vacant_after_s` has run), which is no ghost.
            if let f = finding {
                expected.insert(f.id)
                if s.findings[f.id] == nil, desk.pending != false { out.append(.findingRaised(f)) }
            }
        }
        // Sensor health: silent or offline (unknown since a known time), or flapping.
        let health = sensorHealth(
            desk, subject: id.rawValue, hasNode: layout.desk(id)?.node != nil, desk: id, room: nil,
            ongoing: ongoing, in: s, rules: layout.reconcile, now: now)
        out += health.events
        expected.formUnion(health.expected)
        // Conditions that no longer hold: walk-ins, ghosts and stale sensors of this desk.
        for f in ongoing where f.kind != .noShow && f.detail != "flapping" && !expected.contains(f.id) {
            out.append(.findingEnded(FindingRef(finding: f.id)))
        }
        return out
    }

    /// Whether `member` came in on the day `window` opens (yesterday evening's badge-in, still
    /// within `presence_hours`, checks nothing in the next morning).
    static func isInside(
        _ member: MemberID, for window: CheckInWindow, present: Presence, layout: SiteLayout
    ) -> Bool {
        guard let since = present[member] else { return false }
        let calendar = SiteCalendar.cached(layout.timeZone)
        return since >= calendar.instant(calendar.date(of: window.from), hour: 0)
    }

    /// The no-show of `booking`'s check-in `window` (the `index`th): the booking released, or
    /// for one day of several, its desk free until the next day opens.
    static func noShow(
        _ booking: Booking, _ index: Int, _ window: CheckInWindow, desk: DeskID?, room: RoomID?, layout: SiteLayout,
        now: Instant
    ) -> Finding {
        let calendar = SiteCalendar.cached(layout.timeZone)
        let windows = booking.windows(layout.reconcile)
        var f = Finding(
            id: FindingID("no-show.\(booking.id)"), kind: .noShow, desk: desk, room: room, booking: booking.id,
            member: booking.member, detail: "not checked in by \(calendar.hhmm(window.by))", raisedAt: now)
        if windows.count > 1 {
            f.id = FindingID("no-show.\(booking.id).\(calendar.date(of: window.from))")
            f.releasedUntil = index + 1 < windows.count ? windows[index + 1].from : booking.end
        }
        return f
    }

    static func capacity(present: Presence, in s: State, layout: SiteLayout, now: Instant) -> [Event] {
        let people = max(present.count, layout.desks.filter { s.desks[$0.id]?.occupancy == .occupied }.count)
        let ongoing = s.findings.ongoingFindings.first { $0.kind == .capacity }
        if people > layout.capacity, ongoing == nil {
            return [
                .findingRaised(
                    Finding(
                        id: FindingID("capacity.\(now.micros / 1_000_000)"), kind: .capacity,
                        detail: "\(people) present, capacity \(layout.capacity)", raisedAt: now))
            ]
        }
        if people <= layout.capacity, let ongoing { return [.findingEnded(FindingRef(finding: ongoing.id))] }
        return []
    }
}

extension State {
    /// The layout's reconciliation rules (the defaults before a layout is applied).
    var reconcileRules: ReconcileRules { layout?.reconcile ?? ReconcileRules() }
}

extension Booking {
    /// In force at `now`: started, not ended, neither cancelled nor released (nor its desk
    /// freed for the day after a missed check-in).
    public func isActive(at now: Instant) -> Bool {
        start <= now && now < end && (status == .booked || status == .checkedIn)
            && (freeUntil.map { now >= $0 } ?? true)
    }

    /// The next moment reconciliation must look at this booking after `now`: its start, the
    /// opening and deadline of each check-in window, its end, and for a room the end of its
    /// overstay grace.
    func nextCheckpoint(after now: Instant, rules: ReconcileRules) -> Instant? {
        var moments = [start, end] + windows(rules).flatMap { [$0.from, $0.by] }
        if let freeUntil { moments.append(freeUntil) }
        if case .room = resource { moments.append(end + rules.overstayGrace) }
        return moments.filter { $0 > now }.min()
    }
}

extension Reducer {
    static func findingRaised(_ s: inout State, _ f: Finding, now: Instant) -> [Effect] {
        guard s.findings[f.id] == nil else { return [] }
        s.findings.prune(at: now)
        s.findings[f.id] = f
        var effects: [Effect] = [.notify(.finding(f.id))]
        if f.kind == .noShow, let b = f.booking, s.bookings[b]?.holds == true {
            if let until = f.releasedUntil {
                s.bookings[b]?.freeUntil = until
                effects += [.notify(.bookingsChanged), .notify(.occupancyChanged)]
            } else if s.bookings[b]?.status == .booked {
                s.bookings[b]?.status = .released
                effects += [.notify(.bookingsChanged), .notify(.occupancyChanged)]
            }
        }
        return effects
    }

    static func findingEnded(_ s: inout State, _ ref: FindingRef, now: Instant) -> [Effect] {
        guard s.findings[ref.finding]?.endedAt == nil, s.findings[ref.finding] != nil else { return [] }
        s.findings[ref.finding]?.endedAt = now
        return [.notify(.finding(ref.finding))]
    }

    static func findingResolved(_ s: inout State, _ r: FindingResolution, now: Instant) -> [Effect] {
        guard var f = s.findings[r.finding], f.open else { return [] }
        var resolution = r
        resolution.at = now
        f.resolution = resolution
        if f.endedAt == nil, f.kind != .noShow { f.endedAt = now }
        s.findings[f.id] = f
        var effects: [Effect] = [.notify(.finding(f.id))]
        if r.action == .release, let b = f.booking, s.bookings[b]?.status != .cancelled {
            s.bookings[b]?.status = .cancelled
            effects += [.notify(.bookingsChanged), .notify(.occupancyChanged)]
        }
        return effects
    }

    static func bookingCheckedIn(_ s: inout State, _ c: BookingCheckIn, now: Instant) -> [Effect] {
        guard let b = s.bookings[c.booking],
            b.status == .booked || (b.window(at: now, s.reconcileRules).map { b.needsCheckIn(in: $0.window) } ?? false)
        else { return [] }
        s.bookings[c.booking]?.status = .checkedIn
        s.bookings[c.booking]?.checkedInAt = now
        return [.notify(.bookingsChanged)]
    }
}

/// The members inside at `now` (badged in within the presence TTL): a view over the state's
/// map, not a filtered copy. A sensor report reconciles one desk, and copying everyone inside
/// for it cost tens of µs under the engine's lock, which the door's decisions share.
struct Presence {
    let all: [MemberID: Instant]
    let ttl: Span
    let now: Instant

    /// When `member` came in, if they still count as inside.
    subscript(_ member: MemberID) -> Instant? {
        guard let at = all[member], now - at < ttl else { return nil }
        return at
    }

    var isEmpty: Bool { !all.values.contains { now - $0 < ttl } }
    var count: Int { all.values.reduce(0) { $0 + (now - $1 < ttl ? 1 : 0) } }
}
