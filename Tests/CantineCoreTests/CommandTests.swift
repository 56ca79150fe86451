// Commands validated against the state: what is refused, with which words, and that a
// refusal changes nothing.

import CantineCore
import Testing

@Suite struct CommandTests {
    let s = Fixture.state()
    let t0 = Fixture.t0

    func events(_ c: Command) throws(CommandError) -> [Event] { try CommandRules.events(for: c, in: s, now: t0) }

    func booking(_ id: BookingID, _ from: Int64, _ to: Int64, desk: DeskID = "f01", member: MemberID = "ada") -> Command
    {
        .book(
            Booking(id: id, member: member, resource: .desk(desk), start: t0 + .seconds(from), end: t0 + .seconds(to)))
    }

    @Test func refusesADoubleBookingButAllowsBackToBack() throws {
        var s = self.s
        for e in try events(booking("b1", 0, 3600)) { _ = Reducer.apply(&s, e, now: t0) }
        #expect(throws: CommandError.self) { try CommandRules.events(for: booking("b2", 1800, 5400), in: s, now: t0) }
        #expect(throws: CommandError.self) { try CommandRules.events(for: booking("b3", -600, 600), in: s, now: t0) }
        #expect(try CommandRules.events(for: booking("b4", 3600, 7200), in: s, now: t0).count == 1)
        #expect(try CommandRules.events(for: booking("b5", 0, 3600, desk: "f02"), in: s, now: t0).count == 1)
        // Cancelling frees the slot.
        _ = Reducer.apply(&s, .bookingCancelled(BookingRef(booking: "b1")), now: t0)
        #expect(try CommandRules.events(for: booking("b6", 1800, 5400), in: s, now: t0).count == 1)
    }

    @Test func theClashMessageNamesTheBookingAndLocalTimes() throws {
        var s = self.s
        for e in try events(booking("b1", 0, 3600)) { _ = Reducer.apply(&s, e, now: t0) }
        do {
            _ = try CommandRules.events(for: booking("b2", 0, 60), in: s, now: t0)
            Issue.record("expected a refusal")
        } catch {
            #expect(
                error.message == "desk f01 is already booked from 2026-11-21 10:00 to 2026-11-21 11:00 (booking 'b1')")
        }
    }

    @Test func refusesBookingsThatReferToNothingOrNobody() {
        #expect(throws: CommandError(.notFound, "no member 'bob': see `cantine members list`")) {
            try events(booking("b1", 0, 60, member: "bob"))
        }
        #expect(throws: CommandError(.notFound, "no desk 'z99' in the layout: see the [[desks]] of the config")) {
            try events(booking("b1", 0, 60, desk: "z99"))
        }
        #expect(throws: CommandError("a booking must end after it starts")) { try events(booking("b1", 60, 60)) }
    }

    @Test func refusesABookingOutsideTheMembersPlans() {
        #expect(throws: CommandError.self) { try events(booking("b1", 3 * 86_400, 3 * 86_400 + 60)) }
    }

    @Test func refusesABadgeAlreadyEnrolledToSomeoneUntilItIsRevoked() throws {
        var s = self.s
        for e: Event in [.memberRegistered(MemberRef(member: "bob"))] { _ = Reducer.apply(&s, e, now: t0) }
        let again = Command.enrollCredential(Credential(id: "b2", member: "bob", format: .h10301, token: Fixture.token))
        #expect(
            throws: CommandError(.conflict, "this badge is already enrolled to member 'ada' as 'b1': revoke it first")
        ) {
            try CommandRules.events(for: again, in: s, now: t0)
        }
        _ = Reducer.apply(&s, .credentialRevoked(CredentialRef(credential: "b1")), now: t0)
        #expect(try CommandRules.events(for: again, in: s, now: t0).count == 1)
    }

    @Test func refusesTwoSessionsInOneRoomAtOnce() throws {
        var s = self.s
        let a = ProgramSession(
            id: "s1", title: "Open data et vin", room: "salle-1", start: t0, end: t0 + .seconds(2700))
        for e in try events(.scheduleSession(a)) { _ = Reducer.apply(&s, e, now: t0) }
        var b = a
        b.id = "s2"
        b.start = t0 + .seconds(1800)
        #expect(throws: CommandError.self) { try CommandRules.events(for: .scheduleSession(b), in: s, now: t0) }
        // Moving a session onto its own slot is an edit, not a clash.
        var moved = a
        moved.end = t0 + .seconds(3600)
        #expect(try CommandRules.events(for: .scheduleSession(moved), in: s, now: t0).count == 1)
    }

    @Test func refusesIdsThatAreNotSlugs() {
        #expect(throws: CommandError.self) { try events(.registerMember("Ada Lovelace")) }
        #expect(throws: CommandError.self) { try events(.registerMember("")) }
        #expect(throws: CommandError(.conflict, "member 'ada' already exists")) { try events(.registerMember("ada")) }
    }
}

@Suite struct SiteCalendarTests {
    let paris = SiteCalendar(timeZone: "Europe/Paris")!

    @Test func datesAreFourTwoTwoASCIIDigitsOfARealDay() {
        #expect(LocalDate("2028-02-29") == LocalDate(year: 2028, month: 2, day: 29))
        for bad in [
            "2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "+202-11-21", "2026-+1-21", "2026-11-2",
            "\u{0662}\u{0660}\u{0662}\u{0666}-11-21", "2026-11-21 ", "", "2026/11/21",
        ] {
            #expect(LocalDate(bad) == nil, "\(bad)")
        }
    }

    @Test func halfDaysAndDaysAreLocalTimeInWinterAndSummer() throws {
        let winter = LocalDate("2026-11-21")!
        let (amStart, amEnd) = try paris.deskWindow(.am, on: winter)
        #expect(amStart.description == "2026-11-21T07:00:00Z")
        #expect(amEnd.description == "2026-11-21T12:00:00Z")
        let (dayStart, dayEnd) = try paris.deskWindow(.day, on: LocalDate("2026-07-14")!)
        #expect(dayStart.description == "2026-07-14T06:00:00Z")
        #expect(dayEnd.description == "2026-07-14T18:00:00Z")
    }

    @Test func aMultiDayPassSpansTheDSTChangeAndStopsAtThreeWeeks() throws {
        let (start, end) = try paris.planWindow(.multiDay, from: LocalDate("2026-10-20")!, days: 14)
        #expect(start.description == "2026-10-20T06:00:00Z")
        #expect(end?.description == "2026-11-02T19:00:00Z")  // 20:00 CET after the change
        #expect(throws: CommandError.self) { try paris.planWindow(.multiDay, from: LocalDate("2026-10-20")!, days: 22) }
        #expect(throws: CommandError.self) { try paris.deskWindow(.am, on: LocalDate("2026-10-20")!, days: 2) }
    }

    @Test func residentMonthIsACalendarMonth() throws {
        let (start, end) = try paris.planWindow(.residentMonthly, from: LocalDate("2026-01-31")!)
        #expect(paris.text(start) == "2026-01-31 00:00")
        #expect(end.map(paris.text) == "2026-02-28 00:00")
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "21-11-2026", "today", "2026-1-5", ""])
    func refusesTextThatIsNotADate(text: String) {
        #expect(LocalDate(text) == nil)
    }
}

@Suite struct EngineTests {
    @Test func numbersStampsAndJournalsEveryInputInOrder() {
        let time = ManualTime(Fixture.t0)
        let journal = RecordingJournal()
        let engine = Engine(site: "paris", state: Fixture.state(), lastSeq: 41, time: time, journal: journal)
        engine.submit(Fixture.badge(), source: "door:entree")
        time.advance(.seconds(5))
        engine.submit(.timerFired(.relock("entree")), source: "timer")
        #expect(journal.entries.map(\.seq) == [42, 43])
        #expect(journal.entries.map(\.wall) == [Fixture.t0, Fixture.t0 + .seconds(5)])
        #expect(journal.entries[0].id == "paris/42")
        #expect(engine.read { $0.doors["entree"]?.lock } == .locked)
    }

    @Test func aRefusedCommandChangesNothing() {
        let journal = RecordingJournal()
        let engine = Engine(
            site: "paris", state: Fixture.state(), lastSeq: 0, time: ManualTime(Fixture.t0), journal: journal)
        let before = engine.read { $0 }
        #expect(throws: CommandError.self) { try engine.execute(.registerMember("ada"), source: "cli") }
        #expect(engine.read { $0 } == before)
        #expect(engine.lastSeq == 0)
        #expect(journal.batches.isEmpty)
    }

    @Test func effectsReachTheEdgesBeforeTheJournalAndInSequence() {
        final class Log: @unchecked Sendable { var lines: [String] = [] }
        let log = Log()
        final class Sink: JournalSink, @unchecked Sendable {
            let log: Log
            init(_ log: Log) { self.log = log }
            func enqueue(_ entries: [JournalEntry], attachment: (any JournalAttachment)?) {
                log.lines.append("journal \(entries[0].seq)")
            }
        }
        let engine = Engine(
            site: "paris", state: Fixture.state(), lastSeq: 0, time: ManualTime(Fixture.t0), journal: Sink(log),
            onEffects: { entry, effects in
                for case .relay(let door, let command) in effects {
                    log.lines.append("relay \(door) \(command) \(entry.seq)")
                }
            })
        engine.submit(Fixture.badge(), source: "door:entree")
        #expect(log.lines == ["relay entree unlock(CantineCore.Span(micros: 5000000)) 1", "journal 1"])
    }

    @Test func occupancyCountsDesksPerZoneAndRoomsBusyUntil() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, .deskReported(DeskReport(desk: "f01", occupied: true)), now: Fixture.t0)
        _ = Reducer.apply(&s, .deskReported(DeskReport(desk: "f02", occupied: false)), now: Fixture.t0)
        let meeting = Booking(
            id: "r1", member: "ada", resource: .room("salle-1"), start: Fixture.t0 - .seconds(600),
            end: Fixture.t0 + .seconds(3000))
        _ = Reducer.apply(&s, .bookingCreated(meeting), now: Fixture.t0)
        let summary = s.occupancy(at: Fixture.t0)
        #expect(summary.zones.map { [$0.occupied, $0.free, $0.unknown] } == [[1, 1, 0]])
        #expect(summary.rooms.first?.busy == true)
        #expect(summary.rooms.first?.until == Fixture.t0 + .seconds(3000))
        #expect(s.occupancy(at: Fixture.t0 + .seconds(3000)).rooms.first?.busy == false)
    }

    @Test func aRepeatedDeskReportIsNotAChange() {
        var s = Fixture.state()
        #expect(!Reducer.apply(&s, .deskReported(DeskReport(desk: "f01", occupied: true)), now: Fixture.t0).isEmpty)
        #expect(
            Reducer.apply(&s, .deskReported(DeskReport(desk: "f01", occupied: true)), now: Fixture.t0 + .seconds(60))
                .isEmpty)
        #expect(s.desks["f01"]?.since == Fixture.t0)
    }
}
