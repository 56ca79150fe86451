// Check-in windows as people arrive: a day's desk by 11:00, a morning's by 10:00, an
// afternoon's by 15:00, each day of a multi-day booking by 11:00 (a day missed frees the desk
// for that day only), a room slot 15 minutes in when its sensor says empty, anything else
// after the grace; fixed when the booking is made, journaled with it, replayed exactly.

import CantineCore
import Foundation
import Testing

@Suite struct CheckInTests {
    let calendar = SiteCalendar(timeZone: "Europe/Paris")!
    /// Monday 23 November 2026, a working day after the fixture's Saturday.
    let monday = LocalDate(year: 2026, month: 11, day: 23)

    func at(_ date: LocalDate, _ h: Int, _ m: Int = 0) -> Instant { calendar.instant(date, hour: h, minute: m) }

    /// The reconcile fixture, its members' plans long enough for three weeks from Monday.
    func site(at start: Instant) -> Site {
        var s = Site.members()
        for id in s.members.keys { s.members[id]?.plans[0].validUntil = start + .seconds(30 * 86_400) }
        return Site(s, at: start)
    }

    func book(_ site: Site, _ id: BookingID, _ period: DeskPeriod, days: Int = 1, on date: LocalDate) throws {
        let (start, end) = try calendar.deskWindow(period, on: date, days: days)
        try site.book(id, "ada", from: start, to: end)
    }

    @Test func aDayBookingWaitsForTheMemberUntilEleven() throws {
        let site = site(at: at(monday, 7))
        try book(site, "bk-day", .day, on: monday)
        #expect(
            site.state.bookings["bk-day"]?.checkIns == [CheckInWindow(from: at(monday, 8), by: at(monday, 11))])
        site.advance(at(monday, 10, 59) - site.time.now())
        #expect(site.findings(.noShow).isEmpty && site.state.bookings["bk-day"]?.status == .booked)
        // 10:30 would have checked in; nobody came: a no-show at 11:00 sharp, the desk free.
        site.advance(.minutes(1))
        let noShow = try #require(site.findings(.noShow).first)
        #expect(noShow.id == "no-show.bk-day" && noShow.raisedAt == at(monday, 11))
        #expect(noShow.detail == "not checked in by 11:00" && noShow.releasedUntil == nil)
        #expect(site.state.bookings["bk-day"]?.status == .released)
        #expect(site.replayed() == site.state)
    }

    @Test func aMemberArrivingMidMorningKeepsTheirDesk() throws {
        let site = site(at: at(monday, 7))
        try book(site, "bk-day", .day, on: monday)
        site.advance(at(monday, 9, 30) - site.time.now())
        site.badge("ada")
        #expect(site.state.bookings["bk-day"]?.status == .checkedIn)
        #expect(site.state.bookings["bk-day"]?.checkedInAt == at(monday, 9, 30))
        site.advance(at(monday, 19) - site.time.now())
        #expect(site.findings(.noShow).isEmpty)
        #expect(site.replayed() == site.state)
    }

    @Test(arguments: [(DeskPeriod.am, 10), (.pm, 15), (.day, 11)])
    func eachPeriodHasItsOwnCheckInTime(period: DeskPeriod, hour: Int) throws {
        let site = site(at: at(monday, 7))
        try book(site, "bk", period, on: monday)
        let window = try #require(site.state.bookings["bk"]?.checkIns?.first)
        #expect(window.by == at(monday, hour))
        #expect(window.from == (period == .pm ? at(monday, 13) : at(monday, 8)))
    }

    @Test func theTimesAreTheSitesRules() throws {
        var state = Site.members()
        var layout = try #require(state.layout)
        layout.reconcile.morningCheckIn = 9 * 60 + 15
        _ = Reducer.apply(&state, .layoutApplied(layout), now: at(monday, 7))
        for id in state.members.keys { state.members[id]?.plans[0].validUntil = at(monday, 20) }
        let site = Site(state, at: at(monday, 7))
        try book(site, "bk-am", .am, on: monday)
        site.advance(at(monday, 9, 15) - site.time.now())
        #expect(site.findings(.noShow).first?.raisedAt == at(monday, 9, 15))
    }

    @Test func aBookingMadeLateGetsTheGraceFromWhenItWasMade() throws {
        let site = site(at: at(monday, 12))
        try book(site, "bk-late", .day, on: monday)  // 08:00–20:00, made at 12:00
        #expect(site.state.bookings["bk-late"]?.checkIns?.first?.by == at(monday, 12, 30))
        site.advance(.minutes(29))
        #expect(site.findings(.noShow).isEmpty)
        site.advance(.minutes(1))
        #expect(site.findings(.noShow).count == 1)
    }

    @Test func eachDayOfAMultiDayBookingIsCheckedInAndAMissedDayFreesThatDayOnly() throws {
        let site = site(at: at(monday, 7))
        try book(site, "bk-week", .day, days: 3, on: monday)
        let tuesday = calendar.adding(days: 1, to: monday)
        let wednesday = calendar.adding(days: 2, to: monday)
        #expect(
            site.state.bookings["bk-week"]?.checkIns
                == [monday, tuesday, wednesday].map {
                    CheckInWindow(from: at($0, 8), by: at($0, 11))
                })
        // Monday: in at 09:10.
        site.advance(at(monday, 9, 10) - site.time.now())
        site.badge("ada")
        #expect(site.state.bookings["bk-week"]?.status == .checkedIn)
        // Tuesday: Monday's check-in does not count; she does not come.
        site.advance(at(tuesday, 10, 59) - site.time.now())
        #expect(site.findings(.noShow).isEmpty)
        #expect(site.state.bookings["bk-week"]?.isActive(at: site.time.now()) == true)
        site.advance(.minutes(1))
        let missed = try #require(site.findings(.noShow).first)
        #expect(missed.id == FindingID("no-show.bk-week.\(tuesday)") && missed.releasedUntil == at(wednesday, 8))
        // The desk is free for the rest of Tuesday (a walk-in there is no clash) ...
        #expect(site.state.bookings["bk-week"]?.status == .checkedIn)
        #expect(site.state.bookings["bk-week"]?.isActive(at: site.time.now()) == false)
        // ... and hers again on Wednesday, when a badge checks that day in.
        site.advance(at(wednesday, 8, 40) - site.time.now())
        #expect(site.state.bookings["bk-week"]?.isActive(at: site.time.now()) == true)
        site.badge("ada")
        site.advance(at(wednesday, 19) - site.time.now())
        #expect(site.findings(.noShow).count == 1)
        #expect(site.state.bookings["bk-week"]?.checkedInAt == at(wednesday, 8, 40))
        #expect(site.replayed() == site.state)
    }

    @Test func aDayFreedByAMissedCheckInCanBeBookedByAnother() throws {
        let site = site(at: at(monday, 7))
        try book(site, "bk-week", .day, days: 3, on: monday)
        let tuesday = calendar.adding(days: 1, to: monday)
        site.advance(at(tuesday, 11) - site.time.now())
        #expect(site.findings(.noShow).count == 2)  // she came neither Monday nor Tuesday
        // Bob books Ada's freed desk for Tuesday afternoon; Wednesday stays hers.
        _ = try site.engine.execute(
            .book(
                Booking(
                    id: "bk-bob", member: "bob", resource: .desk("f01"), start: at(tuesday, 13), end: at(tuesday, 20))),
            source: "t")
        let wednesday = calendar.adding(days: 2, to: monday)
        #expect(throws: CommandError.self) {
            try site.engine.execute(
                .book(
                    Booking(
                        id: "bk-bob2", member: "bob", resource: .desk("f01"), start: at(wednesday, 13),
                        end: at(wednesday, 20))), source: "t")
        }
        #expect(site.replayed() == site.state)
    }

    @Test func lastNightsBadgeInChecksNothingInThisMorning() throws {
        let site = site(at: at(monday, 18))
        let tuesday = calendar.adding(days: 1, to: monday)
        try book(site, "bk-tue", .day, on: tuesday)
        site.advance(.minutes(30))
        site.badge("ada")  // 18:30, and never out: still "present" at 08:00 within 14 hours
        site.advance(at(tuesday, 8, 10) - site.time.now())
        #expect(site.state.present["ada"] != nil)
        #expect(site.state.bookings["bk-tue"]?.status == .booked)
        site.advance(at(tuesday, 11) - site.time.now())
        #expect(site.state.bookings["bk-tue"]?.status == .released)
        #expect(site.replayed() == site.state)
    }

    @Test func aCheckedInBookingMovedLaterStaysCheckedIn() throws {
        let site = site(at: at(monday, 7))
        try book(site, "bk-day", .day, on: monday)
        site.advance(at(monday, 8, 30) - site.time.now())
        site.badge("ada")
        site.advance(at(monday, 10) - site.time.now())
        var moved = try #require(site.state.bookings["bk-day"])
        moved.start = at(monday, 9)
        _ = try site.engine.execute(.rebook(moved), source: "t")
        let booking = try #require(site.state.bookings["bk-day"])
        let window = try #require(booking.window(at: site.time.now(), ReconcileRules()))
        #expect(booking.status == .checkedIn && !booking.needsCheckIn(in: window.window))
        site.advance(.minutes(120))
        #expect(site.findings(.noShow).isEmpty)
    }

    @Test func aBookingJournaledBeforeWindowsKeepsItsGrace() throws {
        // A bookingCreated written by an older version: no check-in windows in its payload.
        let json = """
            {"id":"bk-old","member":"ada","resource":{"desk":{"_0":"f01"}},"start":\(at(monday, 8).micros),\
            "end":\(at(monday, 20).micros),"status":"booked"}
            """
        let old = try JSONDecoder().decode(Booking.self, from: Data(json.utf8))
        #expect(old.checkIns == nil)
        #expect(old.windows(ReconcileRules()) == [CheckInWindow(from: at(monday, 8), by: at(monday, 8, 30))])
    }
}

@Suite struct RoomCheckInTests {
    let t0 = Fixture.t0  // Saturday 10:00 Paris

    func site(sensor: Bool) -> Site {
        var s = Site.members()
        guard var layout = s.layout else { return Site(s) }
        layout.rooms = [Room(id: "salle-1", name: "Salle", capacity: 8, sensor: sensor ? .node("n-salle") : nil)]
        _ = Reducer.apply(&s, .layoutApplied(layout), now: t0)
        return Site(s)
    }

    func book(_ site: Site) throws {
        _ = try site.engine.execute(
            .book(Booking(id: "r-1", member: "bob", resource: .room("salle-1"), start: t0, end: t0 + .minutes(60))),
            source: "t")
    }

    func room(_ site: Site, occupied: Bool) {
        site.engine.submit(.roomReported(RoomReport(room: "salle-1", occupied: occupied)), source: "sensor")
    }

    @Test func anEmptyRoomIsReleasedFifteenMinutesIn() throws {
        let site = site(sensor: true)
        try book(site)
        for _ in 0..<14 {
            room(site, occupied: false)
            site.advance(.minutes(1))
        }
        #expect(site.findings(.noShow).isEmpty)
        room(site, occupied: false)
        site.advance(.minutes(1))
        let noShow = try #require(site.findings(.noShow).first)
        #expect(noShow.room == "salle-1" && noShow.booking == "r-1" && noShow.raisedAt == t0 + .minutes(15))
        #expect(site.state.bookings["r-1"]?.status == .released)
        // It stays raised while the room's sensor keeps reporting (a no-show never ends by itself).
        room(site, occupied: false)
        site.advance(.minutes(5))
        #expect(site.state.findings[noShow.id]?.endedAt == nil)
        #expect(site.replayed() == site.state)
    }

    @Test func theBookerInsideChecksTheRoomIn() throws {
        let site = site(sensor: true)
        try book(site)
        room(site, occupied: false)
        site.advance(.minutes(5))
        site.badge("bob")
        #expect(site.state.bookings["r-1"]?.status == .checkedIn)
        site.advance(.minutes(30))
        #expect(site.findings(.noShow).isEmpty)
    }

    @Test func aRoomWhoseSensorSaysNothingIsNeverReleased() throws {
        for sensor in [true, false] {
            let site = site(sensor: sensor)
            try book(site)  // the sensor, if any, never reports: unknown
            site.advance(.minutes(59))
            #expect(site.findings(.noShow).isEmpty)
            #expect(site.state.bookings["r-1"]?.status == .booked)
        }
    }
}
