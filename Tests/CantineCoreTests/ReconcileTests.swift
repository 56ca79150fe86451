// Reconciliation through the engine on a manual clock: check-in by badge and by sensor, the
// no-show released at its check-in time (on a DST day too), walk-ins and ghosts with their
// staff actions, capacity, stale and flapping sensors; every finding journaled and replayable.

import CantineCore
import Synchronization
import Testing

/// Timers the engine asked for.
final class Timers: Sendable {
    let due = Mutex<[TimerID: Instant]>([:])
}

/// An engine on a manual clock whose timers fire when the test moves time.
final class Site: @unchecked Sendable {
    let time: ManualTime
    let journal = RecordingJournal()
    let timers = Timers()
    var engine: Engine!
    let initial: State

    init(_ state: State = Site.members(), at start: Instant = Fixture.t0) {
        time = ManualTime(start)
        initial = state
        let timers = self.timers
        engine = Engine(site: "paris", state: state, lastSeq: 0, time: time, journal: journal) { _, effects in
            for case .schedule(let id, let at) in effects { timers.due.withLock { $0[id] = at } }
        }
    }

    /// Ada, Bob, Cy and Dan, each with a plan and a badge (tokens `tok-<name>`).
    static func members() -> State {
        var s = Fixture.state()
        var layout = Fixture.layout
        layout.desks = layout.desks.map {
            Desk(id: $0.id, name: $0.name, zone: $0.zone, sensor: .node(NodeID("n-\($0.id)")))
        }
        _ = Reducer.apply(&s, .layoutApplied(layout), now: Fixture.t0)
        for name in ["bob", "cy", "dan"] {
            for e: Event in [
                .memberRegistered(MemberRef(member: MemberID(name))),
                .planGranted(
                    PlanGranted(
                        member: MemberID(name),
                        plan: Plan(
                            id: PlanID("p-\(name)"), kind: .residentMonthly, validFrom: Fixture.t0 - .seconds(86_400),
                            validUntil: Fixture.t0 + .seconds(40 * 86_400)))),
                .credentialEnrolled(
                    Credential(
                        id: CredentialID("b-\(name)"), member: MemberID(name), format: .h10301,
                        token: CredentialToken("tok-\(name)"))),
            ] {
                _ = Reducer.apply(&s, e, now: Fixture.t0)
            }
        }
        return s
    }

    /// Moves time by `span`, firing every timer that falls due, in order, at its instant.
    func advance(_ span: Span) {
        let end = time.now() + span
        while true {
            let next = timers.due.withLock { t in t.filter { $0.value <= end }.min { $0.value < $1.value } }
            guard let (id, at) = next else { break }
            _ = timers.due.withLock { $0.removeValue(forKey: id) }
            if at > time.now() { time.advance(at - time.now()) }
            engine.submit(.timerFired(id), source: "timer")
        }
        if end > time.now() { time.advance(end - time.now()) }
    }

    func badge(_ who: String, at door: DoorID = "entree") {
        engine.submit(Fixture.badge(door, CredentialToken(who == "ada" ? "tok-ada" : "tok-\(who)")), source: "door")
    }

    func desk(_ id: DeskID, occupied: Bool) {
        engine.submit(.deskReported(DeskReport(desk: id, occupied: occupied)), source: "sensor")
    }

    /// A node reporting every minute for `minutes`.
    func keep(_ id: DeskID, occupied: Bool, minutes: Int) {
        for _ in 0..<minutes {
            advance(.minutes(1))
            desk(id, occupied: occupied)
        }
    }

    func book(_ id: BookingID, _ who: MemberID, desk: DeskID = "f01", from: Instant, to: Instant) throws {
        _ = try engine.execute(
            .book(Booking(id: id, member: who, resource: .desk(desk), start: from, end: to)), source: "t")
    }

    var state: State { engine.read { $0 } }
    func findings(_ kind: FindingKind) -> [Finding] {
        state.findings.values.filter { $0.kind == kind }.sorted { $0.raisedAt < $1.raisedAt }
    }
    var kinds: [String] { journal.entries.map(\.event.kind) }

    /// The journal folded from the initial state gives the live state.
    func replayed() -> State {
        var s = initial
        for e in journal.entries { _ = Reducer.apply(&s, e.event, now: e.wall) }
        return s
    }
}

@Suite struct ReconcileTests {
    let t0 = Fixture.t0  // Saturday 10:00 Paris

    @Test func aBadgeInChecksTheBookingIn() throws {
        let site = Site()
        try site.book("bk-1", "ada", from: t0, to: t0 + .minutes(180))
        site.advance(.minutes(5))
        site.badge("ada")
        #expect(site.state.bookings["bk-1"]?.status == .checkedIn)
        #expect(site.journal.entries.last?.event == .bookingCheckedIn(BookingCheckIn(booking: "bk-1", by: "badge")))
        #expect(site.journal.entries.last?.source == "reconcile")
        site.advance(.minutes(60))
        #expect(site.findings(.noShow).isEmpty)
        #expect(site.replayed() == site.state)
    }

    @Test func anOccupiedDeskChecksInButItsBookerMustBeInside() throws {
        let site = Site()
        try site.book("bk-1", "ada", from: t0, to: t0 + .minutes(180))
        site.desk("f01", occupied: false)
        site.advance(.minutes(2))
        site.desk("f01", occupied: true)
        site.advance(.seconds(10))  // past occupied_after_s
        #expect(site.state.bookings["bk-1"]?.status == .checkedIn)
        // Occupied while Ada never badged in: someone else sits there, or she tailgated.
        let ghost = try #require(site.findings(.ghost).first)
        #expect(ghost.desk == "f01" && ghost.booking == "bk-1" && ghost.member == "ada")
        #expect(ghost.detail == "member not inside")
        // She badges in: the condition ends, the finding stays for staff.
        site.badge("ada")
        #expect(site.state.findings[ghost.id]?.endedAt == site.time.now())
        #expect(site.state.findings[ghost.id]?.open == true)
    }

    @Test func aMemberLeavingIsNoGhostButADeskStillOccupiedAfterThemIs() throws {
        let site = Site()
        try site.book("bk-1", "ada", from: t0, to: t0 + .minutes(480))
        site.badge("ada")
        site.keep("f01", occupied: true, minutes: 60)
        // She gets up (the sensor starts confirming the desk empty) and badges out a minute later.
        site.keep("f01", occupied: false, minutes: 1)
        site.badge("ada", at: "sortie")
        site.keep("f01", occupied: false, minutes: 3)
        #expect(site.state.desks["f01"]?.occupancy == .vacant)
        #expect(site.findings(.ghost).isEmpty)
        // Next time her desk stays occupied after she leaves: someone sat down.
        site.badge("ada")
        site.keep("f01", occupied: true, minutes: 2)
        site.badge("ada", at: "sortie")
        let ghost = try #require(site.findings(.ghost).first)
        #expect(ghost.desk == "f01" && ghost.detail == "member not inside")
        #expect(site.replayed() == site.state)
    }

    @Test func staffMarkAMemberWhoLeftWithoutBadgingOutAsGone() throws {
        let site = Site()
        site.badge("ada")
        site.badge("bob")
        #expect(site.state.occupancy(at: site.time.now()).badgedIn == 2)
        _ = try site.engine.execute(.clearPresence(PresenceCleared(member: "ada", by: "staff:alice")), source: "t")
        #expect(site.state.present["ada"] == nil && site.state.present["bob"] != nil)
        #expect(site.state.occupancy(at: site.time.now()).badgedIn == 1)
        #expect(site.journal.entries.last?.event.kind == "presence.cleared")
        #expect(
            throws: CommandError(.conflict, "member 'ada' is not inside: nothing to clear"),
            performing: {
                try site.engine.execute(.clearPresence(PresenceCleared(member: "ada", by: "staff:alice")), source: "t")
            })
        #expect(
            throws: CommandError(.notFound, "no member 'zed': see `cantine members list`"),
            performing: {
                try site.engine.execute(.clearPresence(PresenceCleared(member: "zed", by: "staff:alice")), source: "t")
            })
        #expect(site.replayed() == site.state)
    }

    @Test func aBookingNotCheckedInIsReleasedAtTheEndOfItsGrace() throws {
        let site = Site()
        try site.book("bk-1", "ada", from: t0 + .minutes(60), to: t0 + .minutes(240))
        site.advance(.minutes(60 + 29))
        #expect(site.state.bookings["bk-1"]?.status == .booked)
        site.advance(.minutes(1))
        let noShow = try #require(site.findings(.noShow).first)
        #expect(noShow.id == "no-show.bk-1" && noShow.member == "ada" && noShow.raisedAt == t0 + .minutes(90))
        #expect(site.state.bookings["bk-1"]?.status == .released)
        // Released: the desk is free for a walk-in, and Ada arriving late no longer checks in.
        site.badge("ada")
        #expect(site.state.bookings["bk-1"]?.status == .released)
        site.desk("f01", occupied: true)
        #expect(site.findings(.walkIn).count == 1)
        #expect(site.findings(.noShow).count == 1)
        #expect(site.replayed() == site.state)
    }

    @Test(arguments: [
        // Last Sunday of March (08:00 is already CEST) and of October (back to CET).
        (LocalDate(year: 2026, month: 3, day: 29), Instant(seconds: 1_774_764_000)),
        (LocalDate(year: 2026, month: 10, day: 25), Instant(seconds: 1_792_911_600)),
    ])
    func theCheckInTimeIsLocalOnDSTDays(day: LocalDate, eightOClock: Instant) throws {
        let calendar = SiteCalendar(timeZone: "Europe/Paris")!
        let (start, end) = try calendar.deskWindow(.am, on: day)
        #expect(start == eightOClock)
        #expect(end - start == .minutes(5 * 60))  // 08:00–13:00 in real minutes, whatever the offset
        var state = Site.members()
        state.members["ada"]?.plans[0].validFrom = start - .seconds(86_400)
        state.members["ada"]?.plans[0].validUntil = end + .seconds(86_400)
        let site = Site(state, at: start - .minutes(90))
        try site.book("bk-dst", "ada", from: start, to: end)
        // A morning's booking is checked in by 10:00 local: two real hours after 08:00, whatever
        // the offset did that night.
        site.advance(.minutes(90 + 119))
        #expect(site.findings(.noShow).isEmpty)
        site.advance(.minutes(1))
        #expect(site.findings(.noShow).first?.raisedAt == start + .minutes(120))
        #expect(site.findings(.noShow).first?.raisedAt == calendar.instant(day, hour: 10))
    }

    @Test func aWalkInIsAttachedToAMemberByStaff() throws {
        let site = Site()
        site.badge("bob")
        site.desk("f02", occupied: true)
        let walkIn = try #require(site.findings(.walkIn).first)
        #expect(walkIn.desk == "f02" && walkIn.detail == "no booking")
        // The same condition is one finding, however many reports confirm it.
        site.keep("f02", occupied: true, minutes: 10)
        #expect(site.findings(.walkIn).count == 1)

        _ = try site.engine.execute(
            .resolveFinding(FindingResolution(finding: walkIn.id, action: .attach, by: "staff:alice", member: "bob")),
            source: "t")
        let booking = try #require(site.state.bookings.values.first { $0.member == "bob" })
        #expect(booking.resource == .desk("f02") && booking.status == .checkedIn && booking.start == t0)
        let resolved = try #require(site.state.findings[walkIn.id])
        #expect(resolved.resolution?.action == .attach && resolved.resolution?.by == "staff:alice")
        #expect(site.replayed() == site.state)
    }

    @Test func staffActionsFitTheFinding() throws {
        let site = Site()
        site.badge("bob")
        site.desk("f02", occupied: true)
        let walkIn = try #require(site.findings(.walkIn).first)
        func refused(_ r: FindingResolution) -> String? {
            do {
                _ = try site.engine.execute(.resolveFinding(r), source: "t")
                return nil
            } catch { return error.message }
        }
        #expect(
            refused(FindingResolution(finding: "nope", action: .dismiss, by: "s"))?.hasPrefix("no finding 'nope'")
                == true)
        #expect(
            refused(FindingResolution(finding: walkIn.id, action: .release, by: "s"))?.contains(
                "release applies to a ghost") == true)
        #expect(
            refused(FindingResolution(finding: walkIn.id, action: .attach, by: "s"))
                == "attach needs the member (--member ID)")
        #expect(
            refused(FindingResolution(finding: walkIn.id, action: .attach, by: "s", member: "zed"))?.hasPrefix(
                "no member 'zed'") == true)
        #expect(refused(FindingResolution(finding: walkIn.id, action: .dismiss, by: "s")) == nil)
        #expect(
            refused(FindingResolution(finding: walkIn.id, action: .dismiss, by: "s"))?.contains("already resolved")
                == true)
    }

    @Test func aDeskOccupiedAfterItsBookerLeftIsAGhostStaffCanRelease() throws {
        let site = Site()
        try site.book("bk-1", "ada", from: t0, to: t0 + .minutes(480))
        site.badge("ada")
        site.desk("f01", occupied: true)
        site.badge("bob")
        site.keep("f01", occupied: true, minutes: 60)
        #expect(site.state.findings.isEmpty)
        site.badge("ada", at: "sortie")
        let ghost = try #require(site.findings(.ghost).first)
        #expect(ghost.detail == "member not inside" && ghost.booking == "bk-1")
        _ = try site.engine.execute(
            .resolveFinding(FindingResolution(finding: ghost.id, action: .release, by: "s")), source: "t")
        #expect(site.state.bookings["bk-1"]?.status == .cancelled)
        // Released: still occupied, unbooked, Bob inside: now a walk-in.
        site.desk("f01", occupied: false)
        site.advance(.minutes(3))
        site.desk("f01", occupied: true)
        site.advance(.seconds(10))
        #expect(site.findings(.walkIn).count == 1)
    }

    @Test func aDeskOccupiedWhileNobodyIsInsideIsAGhost() throws {
        let site = Site()
        site.desk("f02", occupied: true)
        let ghost = try #require(site.findings(.ghost).first)
        #expect(ghost.detail == "nobody inside" && ghost.booking == nil)
        // Someone comes in: no longer a ghost (a new walk-in is raised for the desk).
        site.badge("cy")
        #expect(site.state.findings[ghost.id]?.endedAt != nil)
        #expect(site.findings(.walkIn).count == 1)
    }

    @Test func thePeriodicPassSeesABadgeInAgeOut() throws {
        var state = Site.members()
        state.layout?.sensors.presenceTTL = .minutes(60)
        let site = Site(state)
        site.badge("bob")
        site.desk("f02", occupied: true)
        #expect(site.findings(.walkIn).count == 1)
        site.keep("f02", occupied: true, minutes: 61)
        #expect(site.findings(.ghost).isEmpty)  // no event told anyone Bob's badge-in aged out
        let found = site.engine.reconcile()
        #expect(found.map(\.entry.event.kind).sorted() == ["finding.ended", "finding.raised"])
        #expect(site.findings(.ghost).first?.detail == "nobody inside")
        #expect(site.engine.reconcile().isEmpty)  // nothing new: a pass changes nothing twice
        #expect(site.replayed() == site.state)
    }

    @Test func peopleAboveCapacityRaiseOneFindingUntilTheyLeave() throws {
        let site = Site()  // capacity 3
        for who in ["ada", "bob", "cy"] { site.badge(who) }
        #expect(site.findings(.capacity).isEmpty)
        site.badge("dan")
        let capacity = try #require(site.findings(.capacity).first)
        #expect(capacity.detail == "4 present, capacity 3")
        site.badge("dan")
        #expect(site.findings(.capacity).count == 1)
        site.badge("bob", at: "sortie")
        #expect(site.state.findings[capacity.id]?.endedAt != nil)
        site.advance(.minutes(1))
        site.badge("bob")
        #expect(site.findings(.capacity).count == 2)  // a new crossing, a new finding
    }

    @Test func aSilentSensorAndAFlappingOneAreSensorFindings() throws {
        let site = Site()
        site.badge("ada")
        try site.book("bk-1", "ada", desk: "f02", from: t0, to: t0 + .minutes(480))
        site.desk("f01", occupied: false)
        site.advance(.minutes(4))  // silent past silent_after_s (180 s)
        let stale = try #require(site.findings(.sensor).first { $0.detail == "stale" })
        #expect(stale.desk == "f01")
        site.desk("f01", occupied: false)
        #expect(site.state.findings[stale.id]?.endedAt != nil)

        // Occupied and vacant in turn, each held just long enough: six changes in minutes.
        for _ in 0..<3 {
            site.desk("f02", occupied: true)
            site.advance(.seconds(6))
            site.desk("f02", occupied: false)
            site.advance(.seconds(121))
        }
        let flapping = try #require(site.findings(.sensor).first { $0.detail == "flapping" })
        #expect(flapping.desk == "f02")
        #expect(site.findings(.sensor).filter { $0.detail == "flapping" }.count == 1)
        #expect(site.replayed() == site.state)
    }

    @Test func contradictingReportsAreASensorFindingUntilTheyStop() throws {
        let site = Site()
        site.badge("ada")
        site.desk("f01", occupied: true)
        // The ingest saw reports for f01 refused as out of order, again and again.
        site.engine.submit(.sensorConflict(SensorConflict(.desk("f01"), refused: 5)), source: "sensor:f01")
        let finding = try #require(site.findings(.sensor).first)
        #expect(finding.detail == "contradicting" && finding.desk == "f01")
        #expect(finding.id == FindingID("sensor.f01.contradicting.\(t0.micros / 1_000_000)"))
        // Still coming a minute later: the same finding, not a new one.
        site.advance(.minutes(1))
        site.engine.submit(.sensorConflict(SensorConflict(.desk("f01"), refused: 7)), source: "sensor:f01")
        #expect(site.findings(.sensor).count == 1)
        // Quiet for the window (10 min): the minute pass ends it; staff still see it.
        site.advance(.minutes(9))
        _ = site.engine.reconcile()
        #expect(site.state.findings[finding.id]?.endedAt == nil)
        site.advance(.minutes(2))
        _ = site.engine.reconcile()
        #expect(site.state.findings[finding.id]?.endedAt == site.time.now())
        #expect(site.state.findings[finding.id]?.open == true)
        // A conflict for a place the layout does not have changes nothing.
        site.engine.submit(.sensorConflict(SensorConflict(.desk("nope"), refused: 5)), source: "sensor:nope")
        #expect(site.findings(.sensor).filter { $0.detail == "contradicting" }.count == 1)
        #expect(site.replayed() == site.state)
    }
}

/// What the state lets go of, so a site's memory does not grow with its history.
@Suite struct StateHistoryTests {
    static let day = Span.seconds(86_400)

    func booking(_ id: BookingID, at start: Instant) -> Event {
        .bookingCreated(
            Booking(id: id, member: "ada", resource: .desk("f01"), start: start, end: start + .seconds(3600)))
    }

    func session(_ id: SessionID, at start: Instant) -> Event {
        .sessionScheduled(
            ProgramSession(id: id, title: "Talk", room: "salle-1", start: start, end: start + .seconds(3600)))
    }

    func finding(_ id: FindingID, _ kind: FindingKind, at t: Instant) -> Event {
        .findingRaised(Finding(id: id, kind: kind, desk: "f01", detail: "test", raisedAt: t))
    }

    @Test func bookingsAndSessionsStayAWeekAfterTheyEnd() {
        let t0 = Fixture.t0
        var s = Fixture.state()
        _ = Reducer.apply(&s, booking("bk-old", at: t0), now: t0)
        _ = Reducer.apply(&s, session("s-old", at: t0), now: t0)
        // A week after their end, to the second: still there.
        let weekAfterEnd = t0 + .seconds(3600) + State.keepEnded
        _ = Reducer.apply(&s, booking("bk-new", at: weekAfterEnd), now: weekAfterEnd)
        _ = Reducer.apply(&s, session("s-new", at: weekAfterEnd), now: weekAfterEnd)
        #expect(Set(s.bookings.keys) == ["bk-old", "bk-new"] && Set(s.sessions.keys) == ["s-old", "s-new"])
        // A second more: let go of (the store keeps the booking record, the journal both).
        let later = weekAfterEnd + .seconds(1)
        _ = Reducer.apply(&s, booking("bk-next", at: later), now: later)
        _ = Reducer.apply(&s, session("s-next", at: later), now: later)
        #expect(Set(s.bookings.keys) == ["bk-new", "bk-next"] && Set(s.sessions.keys) == ["s-new", "s-next"])
    }

    @Test func findingsStayAWeekAfterStaffActAMonthAfterTheyAreOverAndWhileTheyHold() {
        let t0 = Fixture.t0
        let day = Self.day
        var s = Fixture.state()
        _ = Reducer.apply(&s, finding("f-sensor", .sensor, at: t0), now: t0)  // a sensor still silent
        _ = Reducer.apply(&s, finding("f-noshow", .noShow, at: t0), now: t0)  // never "ends"
        _ = Reducer.apply(&s, finding("f-walkin", .walkIn, at: t0), now: t0)
        _ = Reducer.apply(&s, .findingEnded(FindingRef(finding: "f-walkin")), now: t0 + day)
        _ = Reducer.apply(&s, finding("f-ghost", .ghost, at: t0), now: t0)
        _ = Reducer.apply(
            &s, .findingResolved(FindingResolution(finding: "f-ghost", action: .dismiss, by: "staff:alice")),
            now: t0 + .seconds(3600))

        func raise(_ id: FindingID, at t: Instant) -> Set<FindingID> {
            _ = Reducer.apply(&s, finding(id, .capacity, at: t), now: t)
            return Set(s.findings.keys)
        }
        // The dismissed ghost: kept a week after staff acted.
        #expect(raise("f-1", at: t0 + .seconds(3600) + Finding.keepResolved - .seconds(1)).contains("f-ghost"))
        #expect(!raise("f-2", at: t0 + .seconds(3600) + Finding.keepResolved).contains("f-ghost"))
        // Nobody looked: the no-show goes 30 days after it was raised, the walk-in 30 days
        // after it ended, the silent sensor stays while it is silent.
        #expect(
            raise("f-3", at: t0 + Finding.keepUnresolved)
                == ["f-sensor", "f-walkin", "f-1", "f-2", "f-3"])
        #expect(raise("f-4", at: t0 + day + Finding.keepUnresolved) == ["f-sensor", "f-1", "f-2", "f-3", "f-4"])
        // Once the sensor is heard again, its finding goes 30 days later like the others.
        let heard = t0 + day + Finding.keepUnresolved
        _ = Reducer.apply(&s, .findingEnded(FindingRef(finding: "f-sensor")), now: heard)
        #expect(raise("f-5", at: heard + Finding.keepUnresolved - .seconds(1)).contains("f-sensor"))
        #expect(!raise("f-6", at: heard + Finding.keepUnresolved).contains("f-sensor"))
    }
}
