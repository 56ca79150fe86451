// The access policy and the door part of the reducer: decisions, relay pulses, timers, alarms.

import CantineCore
import Testing

@Suite struct AccessPolicyTests {
    static let paris = SiteCalendar.cached("Europe/Paris")
    static let today = LocalDate(year: 2026, month: 11, day: 21)  // a Saturday

    /// `hh:mm` local on `day` (today by default).
    static func at(_ hour: Int, _ minute: Int = 0, on day: LocalDate = today) -> Instant {
        paris.instant(day, hour: hour, minute: minute)
    }

    /// A site with one member per situation, each holding badge `tok-<member>`.
    static func site(rules: AccessRules = AccessRules()) -> State {
        var layout = Fixture.layout
        layout.access = rules
        var s = State()
        var events: [Event] = [.layoutApplied(layout)]
        func member(_ id: MemberID, _ plans: [(PlanKind, LocalDate, Int)] = []) {
            events.append(.memberRegistered(MemberRef(member: id)))
            for (i, (kind, day, days)) in plans.enumerated() {
                // Plans as the CLI grants them: windows from the site calendar.
                guard let (from, until) = try? paris.planWindow(kind, from: day, days: days) else { continue }
                events.append(
                    .planGranted(
                        PlanGranted(
                            member: id, plan: Plan(id: PlanID("p\(i)"), kind: kind, validFrom: from, validUntil: until))
                    ))
            }
            events.append(
                .credentialEnrolled(
                    Credential(
                        id: CredentialID("b-\(id)"), member: id, format: .h10301,
                        token: CredentialToken("tok-\(id)"))))
        }
        let yesterday = paris.adding(days: -1, to: today)
        let nextWeek = paris.adding(days: 7, to: today)
        member("ada", [(.residentMonthly, paris.adding(days: -3, to: today), 1)])
        member("bob", [(.staff, LocalDate(year: 2020, month: 1, day: 1), 1)])
        member("cleo", [(.halfDayAM, today, 1)])
        member("dan", [(.halfDayPM, today, 1)])
        member("eve")
        member("fay", [(.dayPass, yesterday, 1)])
        member("gus", [(.dayPass, nextWeek, 1)])
        member("hal")
        member("ivy", [(.residentMonthly, today, 1)])
        member("jo", [(.multiDay, yesterday, 3)])
        member("kim", [(.residentMonthly, today, 1)])
        events += [
            .bookingCreated(
                Booking(id: "bk-eve", member: "eve", resource: .room("salle-1"), start: at(14), end: at(16))),
            .memberDisabled(MemberRef(member: "ivy")),
            .credentialRevoked(CredentialRef(credential: "b-kim")),
            .credentialPINSet(CredentialPIN(credential: "b-ada", digest: "pin-ada")),
        ]
        for e in events { _ = Reducer.apply(&s, e, now: at(7)) }
        return s
    }

    static func decide(
        _ who: String?, at t: Instant, door: DoorID = "entree", fault: FrameFault? = nil, in s: State = site()
    ) -> AccessDecision {
        let badge = BadgePresented(
            door: door, token: who.map { CredentialToken("tok-\($0)") }, format: .h10301, fault: fault)
        return AccessPolicy.decide(badge, in: s, now: t)
    }

    /// Every reason code, one row each: who badges, when, and what the door says.
    @Test(
        arguments: [
            ("ada", 10, 0, AccessDecision.granted("ada", .plan, .residentMonthly)),
            ("ada", 23, 30, .granted("ada", .plan, .residentMonthly)),  // residents: any hour
            ("bob", 3, 0, .granted("bob", .staff, .staff)),
            ("cleo", 8, 0, .granted("cleo", .plan, .halfDayAM)),
            ("cleo", 12, 59, .granted("cleo", .plan, .halfDayAM)),
            ("cleo", 13, 0, .denied(.outsideHours, "cleo")),  // the morning ends at 13:00 sharp
            ("cleo", 7, 59, .denied(.outsideHours, "cleo")),
            ("dan", 12, 59, .denied(.outsideHours, "dan")),
            ("dan", 13, 0, .granted("dan", .plan, .halfDayPM)),
            ("dan", 20, 0, .denied(.outsideHours, "dan")),
            ("eve", 13, 45, .granted("eve", .booking, nil)),  // 15 min margin before the booking
            ("eve", 13, 44, .denied(.outsideHours, "eve")),  // booked today, but not yet
            ("eve", 16, 14, .granted("eve", .booking, nil)),
            ("eve", 16, 15, .denied(.outsideHours, "eve")),
            ("fay", 10, 0, .denied(.expired, "fay")),
            ("gus", 10, 0, .denied(.notYetValid, "gus")),
            ("hal", 10, 0, .denied(.noPlan, "hal")),
            ("ivy", 10, 0, .denied(.disabled, "ivy")),
            ("jo", 10, 0, .granted("jo", .plan, .multiDay)),
            ("jo", 22, 0, .denied(.outsideHours, "jo")),  // a multi-day pass covers days, not nights
            ("kim", 10, 0, .denied(.revoked, "kim")),
            ("stranger", 10, 0, .denied(.unknownCard, nil)),
        ] as [(String, Int, Int, AccessDecision)])
    func policyTable(who: String, hour: Int, minute: Int, expected: AccessDecision) {
        #expect(Self.decide(who, at: Self.at(hour, minute)) == expected)
    }

    @Test func framesThatDecodedToNoCardAndUnknownDoorsAreDenied() {
        let t = Self.at(10)
        #expect(Self.decide(nil, at: t, fault: .parity) == .denied(.parity, nil))
        #expect(Self.decide(nil, at: t, fault: .unknownLength) == .denied(.unknownFormat, nil))
        #expect(Self.decide(nil, at: t) == .denied(.parity, nil))
        #expect(Self.decide("ada", at: t, door: "garage") == .denied(.unknownDoor, nil))
    }

    @Test func everyReasonCodeIsNamedAsTheIssueSpellsThem() {
        #expect(AccessReason.plan.rawValue == "granted.plan")
        #expect(AccessReason.unknownCard.rawValue == "denied.unknown_card")
        #expect(AccessReason.allCases.allSatisfy { $0.granted != $0.rawValue.hasPrefix("denied.") || $0.pending })
        #expect(Set(AccessReason.allCases.map(\.rawValue)).count == AccessReason.allCases.count)
    }

    /// 2026-03-29 (clocks go forward) and 2026-10-25 (back) in Paris: the morning still ends
    /// at 13:00 local, which is 11:00 UTC in summer time and 12:00 UTC in winter time.
    @Test(arguments: [
        (LocalDate(year: 2026, month: 3, day: 29), Instant(seconds: 1_774_782_000)),  // 2026-03-29T11:00:00Z
        (LocalDate(year: 2026, month: 10, day: 25), Instant(seconds: 1_792_929_600)),  // 2026-10-25T12:00:00Z
    ])
    func halfDaysSplitAtOnePMLocalOnDSTChangeDays(day: LocalDate, onePM: Instant) throws {
        var s = Self.site()
        let (amFrom, amUntil) = try Self.paris.planWindow(.halfDayAM, from: day)
        #expect(amUntil == onePM)
        for e: Event in [
            .memberRegistered(MemberRef(member: "lou")),
            .planGranted(
                PlanGranted(
                    member: "lou", plan: Plan(id: "am", kind: .halfDayAM, validFrom: amFrom, validUntil: amUntil))
            ),
            .credentialEnrolled(Credential(id: "b-lou", member: "lou", format: .h10301, token: "tok-lou")),
        ] {
            _ = Reducer.apply(&s, e, now: amFrom)
        }
        #expect(Self.decide("lou", at: onePM - .seconds(1), in: s) == .granted("lou", .plan, .halfDayAM))
        #expect(Self.decide("lou", at: onePM, in: s) == .denied(.outsideHours, "lou"))
        // The day opens at 08:00 local, 23 or 25 hours after the day before's.
        #expect(Self.decide("lou", at: amFrom - .seconds(1), in: s) == .denied(.outsideHours, "lou"))
        #expect(Self.paris.clock(amFrom).minute == 8 * 60)
    }

    @Test func openingHoursPerPlanComeFromTheRules() throws {
        var rules = AccessRules()
        rules.planHours[.residentMonthly] = try WeeklyHours(parsing: "mon-fri 07:00-22:00, sat 09:00-18:00")
        let s = Self.site(rules: rules)
        #expect(Self.decide("ada", at: Self.at(10), in: s) == .granted("ada", .plan, .residentMonthly))
        #expect(Self.decide("ada", at: Self.at(8, 59), in: s) == .denied(.outsideHours, "ada"))  // Saturday
        #expect(Self.decide("ada", at: Self.at(18), in: s) == .denied(.outsideHours, "ada"))
        // A Monday at 21:00.
        let monday = Self.paris.adding(days: 2, to: Self.today)
        #expect(Self.decide("ada", at: Self.at(21, on: monday), in: s) == .granted("ada", .plan, .residentMonthly))
    }

    @Test func afterHoursABadgeWaitsForItsPIN() {
        var rules = AccessRules()
        rules.pinAfterHours = true  // public hours: Monday to Friday; today is a Saturday
        let s = Self.site(rules: rules)
        #expect(Self.decide("ada", at: Self.at(10), in: s) == .needsPIN("ada", .plan, .residentMonthly))
        #expect(Self.decide("bob", at: Self.at(10), in: s) == .denied(.noPIN, "bob"))
        #expect(Self.decide("hal", at: Self.at(10), in: s) == .denied(.noPlan, "hal"))
        let monday = Self.paris.adding(days: 2, to: Self.today)
        #expect(Self.decide("bob", at: Self.at(10, on: monday), in: s) == .granted("bob", .staff, .staff))
        #expect(Self.decide("bob", at: Self.at(20, on: monday), in: s) == .denied(.noPIN, "bob"))
    }

    @Test func weeklyHoursParseAndPrintBack() throws {
        let h = try WeeklyHours(parsing: "mon-fri 08:00-20:00, sat 10:00-24:00")
        #expect(h.description == "mon-fri 08:00-20:00, sat 10:00-24:00")
        #expect(h.contains(weekday: 6, minute: 23 * 60 + 59))
        #expect(!h.contains(weekday: 7, minute: 12 * 60))
        #expect(try WeeklyHours(parsing: "Always") == .always)
        for bad in ["", "mon 8:00-20:00", "fri-mon 08:00-20:00", "mon 20:00-08:00", "lun 08:00-20:00", "mon 08:00"] {
            #expect(throws: CommandError.self) { try WeeklyHours(parsing: bad) }
        }
    }

    @Test func aPlanWindowIsHalfOpen() {
        let plan = Plan(id: "p", kind: .dayPass, validFrom: Fixture.t0, validUntil: Fixture.t0 + .seconds(60))
        #expect(plan.covers(Fixture.t0))
        #expect(plan.covers(Fixture.t0 + .seconds(59)))
        #expect(!plan.covers(Fixture.t0 + .seconds(60)))
        #expect(!plan.covers(Fixture.t0 - .seconds(1)))
    }
}

@Suite struct DoorReducerTests {
    @Test func aGrantedBadgeUnlocksForThePulseSchedulesTheRelockAndCountsThePerson() {
        var s = Fixture.state()
        let effects = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        #expect(effects.contains(.relay("entree", .unlock(.seconds(5)))))
        #expect(effects.contains(.schedule(.relock("entree"), at: Fixture.t0 + .seconds(5))))
        #expect(s.doors["entree"]?.lock == .unlocked)
        #expect(s.present["ada"] == Fixture.t0)
        #expect(s.counters.granted == 1)
    }

    @Test func aDeniedBadgeDrivesNoRelay() {
        var s = Fixture.state()
        let effects = Reducer.apply(&s, Fixture.badge("entree", "stranger"), now: Fixture.t0)
        #expect(!effects.contains { if case .relay = $0 { true } else { false } })
        #expect(s.doors["entree"]?.lock == .locked)
        #expect(s.counters.denied == 1)
        #expect(s.present.isEmpty)
    }

    @Test func badgingAtTheExitReaderEndsPresence() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge("entree"), now: Fixture.t0)
        _ = Reducer.apply(&s, Fixture.badge("sortie"), now: Fixture.t0 + .seconds(3600))
        #expect(s.present.isEmpty)
        #expect(s.occupancy(at: Fixture.t0).peoplePresent == 0)
    }

    @Test func theRelockTimerLocksOnlyWhenThePulseHasEnded() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        // A second badge 3 s later extends the pulse: the first timer must not cut it short.
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0 + .seconds(3))
        #expect(Reducer.apply(&s, .timerFired(.relock("entree")), now: Fixture.t0 + .seconds(5)).isEmpty)
        #expect(s.doors["entree"]?.lock == .unlocked)
        let effects = Reducer.apply(&s, .timerFired(.relock("entree")), now: Fixture.t0 + .seconds(8))
        #expect(effects.contains(.relay("entree", .lock)))
        #expect(s.doors["entree"]?.lock == .locked)
    }

    @Test func anUnlockIsCappedAtTenSecondsWhateverTheLayoutSays() {
        var layout = Fixture.layout
        layout.doors[0].pulse = .seconds(600)  // bypassing Door.init's own cap
        var s = Fixture.state()
        _ = Reducer.apply(&s, .layoutApplied(layout), now: Fixture.t0)
        let effects = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        #expect(effects.contains(.relay("entree", .unlock(Door.maxPulse))))
        #expect(Door(id: "x", name: "x", pulse: .seconds(30)).pulse == Door.maxPulse)
    }

    @Test func openingALockedDoorRaisesForcedUntilItCloses() {
        var s = Fixture.state()
        let effects = Reducer.apply(&s, .doorContact(DoorContact(door: "entree", open: true)), now: Fixture.t0)
        #expect(effects.contains(.notify(.alarm("entree", .forced))))
        #expect(s.doors["entree"]?.label == "forced")
        _ = Reducer.apply(&s, .doorContact(DoorContact(door: "entree", open: false)), now: Fixture.t0 + .seconds(5))
        #expect(s.doors["entree"]?.alarms == [])
        #expect(s.doors["entree"]?.label == "locked")
    }

    @Test func openingDuringAGrantedPulseIsNoAlarm() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        let effects = Reducer.apply(
            &s, .doorContact(DoorContact(door: "entree", open: true)), now: Fixture.t0 + .seconds(2))
        #expect(!effects.contains(.notify(.alarm("entree", .forced))))
        #expect(s.doors["entree"]?.label == "open")
    }

    @Test func aRestartRelocksEveryDoorAndForgetsSensorStates() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        _ = Reducer.apply(&s, .deskReported(DeskReport(desk: "f01", occupied: true)), now: Fixture.t0)
        let effects = Reducer.apply(&s, .daemonStarted(DaemonStarted(version: "test")), now: Fixture.t0 + .seconds(1))
        #expect(effects.contains(.relay("entree", .lock)) && effects.contains(.relay("sortie", .lock)))
        #expect(s.doors.values.allSatisfy { $0.lock == .locked && $0.unlockedUntil == nil })
        #expect(s.desks["f01"]?.occupancy == .unknown)
    }

    static func contact(_ open: Bool) -> Event { .doorContact(DoorContact(door: "entree", open: open)) }

    static func unlocks(_ effects: [Effect]) -> Bool {
        effects.contains { if case .relay(_, .unlock) = $0 { true } else { false } }
    }

    @Test func aFailingReaderRaisesReaderOfflineOnceTheDoorStaysLockedAndARestartClearsIt() {
        var s = Fixture.state()
        let t0 = Fixture.t0
        let fault = Event.readerFault(ReaderFault(door: "entree", failing: true, detail: "gpiochip0 went away"))
        let raised = Reducer.apply(&s, fault, now: t0)
        #expect(raised == [.notify(.alarm("entree", .readerOffline)), .notify(.doorChanged("entree"))])
        #expect(Reducer.apply(&s, fault, now: t0 + .seconds(1)).isEmpty)  // once per outage
        // Not a state of the door leaf: it still shows locked, and nothing drives the relay.
        #expect(s.doors["entree"]?.label == "locked" && s.doors["entree"]?.lock == .locked)
        #expect(!raised.contains { if case .relay = $0 { true } else { false } })
        let back = Event.readerFault(ReaderFault(door: "entree", failing: false, detail: "reopened"))
        #expect(
            Reducer.apply(&s, back, now: t0 + .seconds(5)).first == .notify(.alarmCleared("entree", .readerOffline)))
        #expect(s.doors["entree"]?.alarms == [])
        // Raised again, then the daemon restarts: its readers are opened afresh, the alarm goes.
        _ = Reducer.apply(&s, fault, now: t0 + .seconds(6))
        let restarted = Reducer.apply(&s, .daemonStarted(DaemonStarted(version: "test")), now: t0 + .seconds(7))
        #expect(restarted.contains(.notify(.alarmCleared("entree", .readerOffline))))
        #expect(s.doors["entree"]?.alarms == [])
        // An unknown door changes nothing.
        #expect(Reducer.apply(&s, .readerFault(ReaderFault(door: "cave", failing: true, detail: "x")), now: t0).isEmpty)
    }

    @Test func aDoorLeftOpenRaisesHeldOpenAtItsTimeAndClosingClearsIt() {
        var s = Fixture.state()
        let t0 = Fixture.t0
        _ = Reducer.apply(&s, Fixture.badge(), now: t0)
        let opened = Reducer.apply(&s, Self.contact(true), now: t0 + .seconds(2))
        #expect(opened.contains(.schedule(.heldOpen("entree"), at: t0 + .seconds(32))))
        #expect(Reducer.apply(&s, .timerFired(.heldOpen("entree")), now: t0 + .seconds(31)).isEmpty)
        let raised = Reducer.apply(&s, .timerFired(.heldOpen("entree")), now: t0 + .seconds(32))
        #expect(raised.contains(.notify(.alarm("entree", .heldOpen))))
        #expect(s.doors["entree"]?.label == "held_open")
        let closed = Reducer.apply(&s, Self.contact(false), now: t0 + .seconds(40))
        #expect(closed.contains(.notify(.alarmCleared("entree", .heldOpen))))
        #expect(s.doors["entree"]?.alarms == [])
    }

    @Test func aTimerFromAnEarlierOpeningDoesNotRaiseHeldOpen() {
        var s = Fixture.state()
        let t0 = Fixture.t0
        _ = Reducer.apply(&s, Fixture.badge(), now: t0)
        _ = Reducer.apply(&s, Self.contact(true), now: t0 + .seconds(1))
        _ = Reducer.apply(&s, Self.contact(false), now: t0 + .seconds(4))
        _ = Reducer.apply(&s, Fixture.badge(), now: t0 + .seconds(20))
        _ = Reducer.apply(&s, Self.contact(true), now: t0 + .seconds(21))
        #expect(Reducer.apply(&s, .timerFired(.heldOpen("entree")), now: t0 + .seconds(31)).isEmpty)
        #expect(s.doors["entree"]?.alarms == [])
    }

    @Test func relockOnCloseLocksAsSoonAsTheDoorClosesAfterEntry() {
        var layout = Fixture.layout
        layout.doors[0].relockOnClose = true
        var s = Fixture.state()
        _ = Reducer.apply(&s, .layoutApplied(layout), now: Fixture.t0)
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        _ = Reducer.apply(&s, Self.contact(true), now: Fixture.t0 + .seconds(1))
        let closed = Reducer.apply(&s, Self.contact(false), now: Fixture.t0 + .seconds(2))
        #expect(closed.first == .relay("entree", .lock))
        #expect(s.doors["entree"]?.lock == .locked)
        // The pulse's own timer then finds nothing to do.
        #expect(Reducer.apply(&s, .timerFired(.relock("entree")), now: Fixture.t0 + .seconds(5)).isEmpty)
    }

    @Test func withoutRelockOnCloseTheDoorStaysUnlockedUntilThePulseEnds() {
        var s = Fixture.state()
        _ = Reducer.apply(&s, Fixture.badge(), now: Fixture.t0)
        _ = Reducer.apply(&s, Self.contact(true), now: Fixture.t0 + .seconds(1))
        let closed = Reducer.apply(&s, Self.contact(false), now: Fixture.t0 + .seconds(2))
        #expect(!closed.contains(.relay("entree", .lock)))
        #expect(s.doors["entree"]?.lock == .unlocked)
    }

    @Test func fiveDeniedBadgesInAMinuteRaiseAnAlarmThatClearsWhenTheReaderIsQuiet() {
        var s = Fixture.state()
        let t0 = Fixture.t0
        var effects: [Effect] = []
        for i in 0..<4 {
            effects += Reducer.apply(&s, Fixture.badge("entree", "stranger"), now: t0 + .seconds(Int64(i * 10)))
        }
        #expect(!effects.contains(.notify(.alarm("entree", .repeatedDenials))))
        let fifth = Reducer.apply(&s, Fixture.badge("entree", "stranger"), now: t0 + .seconds(40))
        #expect(fifth.contains(.notify(.alarm("entree", .repeatedDenials))))
        #expect(fifth.contains(.schedule(.denials("entree"), at: t0 + .seconds(100))))
        #expect(s.doors["entree"]?.alarms == [.repeatedDenials])
        #expect(s.doors["entree"]?.label == "locked")  // an alarm at the reader, not a door state
        // Another denial pushes the quiet deadline; the earlier timer finds the reader busy.
        _ = Reducer.apply(&s, Fixture.badge("entree", "stranger"), now: t0 + .seconds(70))
        #expect(Reducer.apply(&s, .timerFired(.denials("entree")), now: t0 + .seconds(100)).isEmpty)
        let cleared = Reducer.apply(&s, .timerFired(.denials("entree")), now: t0 + .seconds(130))
        #expect(cleared == [.notify(.alarmCleared("entree", .repeatedDenials))])
        #expect(s.doors["entree"]?.alarms == [])
    }

    @Test func fiveDenialsSpreadOverMoreThanAMinuteRaiseNothing() {
        var s = Fixture.state()
        var effects: [Effect] = []
        for i in 0..<5 {
            effects += Reducer.apply(&s, Fixture.badge("entree", "stranger"), now: Fixture.t0 + .seconds(Int64(i * 16)))
        }
        #expect(!effects.contains(.notify(.alarm("entree", .repeatedDenials))))
        #expect(s.doors["entree"]?.alarms == [])
    }

    @Test func theExitButtonAndARemoteUnlockAreLoggedWithTheirReason() {
        var s = Fixture.state()
        let exit = Reducer.apply(&s, .exitRequested(DoorRef(door: "sortie")), now: Fixture.t0)
        #expect(exit.contains(.relay("sortie", .unlock(.seconds(3)))))
        #expect(
            exit.contains(
                .notify(.access(AccessRecord(door: "sortie", member: nil, reason: .exitButton, at: Fixture.t0)))))
        let remote = Reducer.apply(
            &s, .remoteUnlock(RemoteUnlock(door: "entree", by: "alice", reason: "delivery")), now: Fixture.t0)
        #expect(remote.contains(.relay("entree", .unlock(.seconds(5)))))
        #expect(
            remote.contains(
                .notify(
                    .access(
                        AccessRecord(
                            door: "entree", member: nil, reason: .remote, at: Fixture.t0, by: "alice",
                            note: "delivery")))))
        #expect(s.present.isEmpty)
    }

    @Test func remoteUnlockNeedsAKnownDoorAndAReason() {
        let s = Fixture.state()
        func refused(_ r: RemoteUnlock) -> String? {
            do {
                _ = try CommandRules.events(for: .remoteUnlock(r), in: s, now: Fixture.t0)
                return nil
            } catch { return error.message }
        }
        #expect(
            refused(RemoteUnlock(door: "garage", by: "alice", reason: "x"))
                == "no door 'garage': the doors are entree, sortie")
        #expect(refused(RemoteUnlock(door: "entree", by: "alice", reason: "  "))?.contains("reason") == true)
        #expect(refused(RemoteUnlock(door: "entree", by: "alice", reason: "delivery")) == nil)
    }

    /// After hours: badge, then PIN. Right PIN opens, wrong PIN or silence does not.
    @Test func thePINFollowsTheBadgeAfterHours() {
        var layout = Fixture.layout
        layout.access.pinAfterHours = true  // Fixture.t0 is a Saturday: outside public hours
        var s = Fixture.state()
        let t0 = Fixture.t0
        _ = Reducer.apply(&s, .layoutApplied(layout), now: t0)
        _ = Reducer.apply(&s, .credentialPINSet(CredentialPIN(credential: "b1", digest: "d-1234")), now: t0)

        let badge = Reducer.apply(&s, Fixture.badge(), now: t0)
        #expect(!Self.unlocks(badge))
        #expect(badge.contains(.schedule(.pin("entree"), at: t0 + .seconds(20))))
        #expect(s.doors["entree"]?.pendingPIN?.member == "ada")
        let right = Reducer.apply(&s, .pinEntered(PINEntered(door: "entree", digest: "d-1234")), now: t0 + .seconds(4))
        #expect(Self.unlocks(right))
        #expect(
            right.contains(
                .notify(
                    .access(
                        AccessRecord(
                            door: "entree", member: "ada", reason: .pin, plan: .residentMonthly, at: t0 + .seconds(4))))
            ))
        #expect(s.present["ada"] != nil)

        _ = Reducer.apply(&s, Fixture.badge(), now: t0 + .seconds(60))
        let wrong = Reducer.apply(&s, .pinEntered(PINEntered(door: "entree", digest: "d-0000")), now: t0 + .seconds(62))
        #expect(!Self.unlocks(wrong))
        #expect(
            wrong.contains(
                .notify(.access(AccessRecord(door: "entree", member: "ada", reason: .wrongPIN, at: t0 + .seconds(62)))))
        )
        // A PIN with no badge before it does nothing.
        #expect(
            Reducer.apply(&s, .pinEntered(PINEntered(door: "entree", digest: "d-1234")), now: t0 + .seconds(63)).isEmpty
        )

        _ = Reducer.apply(&s, Fixture.badge(), now: t0 + .seconds(120))
        let timeout = Reducer.apply(&s, .timerFired(.pin("entree")), now: t0 + .seconds(140))
        #expect(
            timeout.contains(
                .notify(
                    .access(AccessRecord(door: "entree", member: "ada", reason: .pinTimeout, at: t0 + .seconds(140))))))
        #expect(s.doors["entree"]?.pendingPIN == nil)
    }

    @Test func aRestartAsksAgainForTheTimersItsAlarmsNeed() {
        var s = Fixture.state()
        let t0 = Fixture.t0
        _ = Reducer.apply(&s, Self.contact(true), now: t0)  // forced, and held open from t0
        for i in 0..<5 { _ = Reducer.apply(&s, Fixture.badge("entree", "x"), now: t0 + .seconds(Int64(i))) }
        let effects = Reducer.apply(&s, .daemonStarted(DaemonStarted(version: "t")), now: t0 + .seconds(10))
        #expect(effects.contains(.schedule(.heldOpen("entree"), at: t0 + .seconds(30))))
        #expect(effects.contains(.schedule(.denials("entree"), at: t0 + .seconds(64))))
        #expect(
            Reducer.apply(&s, .timerFired(.heldOpen("entree")), now: t0 + .seconds(30)).contains(
                .notify(.alarm("entree", .heldOpen))))
    }
}
